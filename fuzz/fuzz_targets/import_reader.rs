//! Any uploaded file, read as every encoding a user can choose: reading never panics, and what
//! it returns is consistent (no more rows than asked for, headers for every file it accepts).
#![no_main]

use app::imports::{model::Encoding, read::read_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for encoding in
        [Encoding::Auto, Encoding::Utf8, Encoding::Gbk, Encoding::Utf16Le, Encoding::Xlsx]
    {
        if let Ok(table) = read_all(bytes, encoding, None, 500) {
            assert!(table.rows.len() <= 500);
        }
    }
});
