//! Times shown in the company's time zone: the same text on the server and in the browser, so
//! a page reads the same in Shanghai and on a laptop set to another zone, and hydration never
//! meets different markup.

use crate::i18n::{CommonText, Locale, Text, fill};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use leptos::prelude::*;

/// The company's IANA zone name, provided once by `App`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyZone(pub String);

/// Makes the company's zone known to every component below.
pub fn provide_company_zone(name: String) {
    provide_context(CompanyZone(name));
}

/// The company's zone name (Shanghai when nothing was provided, e.g. in a unit test).
pub fn company_zone() -> String {
    use_context::<CompanyZone>().map(|zone| zone.0).unwrap_or_else(|| "Asia/Shanghai".to_owned())
}

/// The wall-clock time of `at` in `zone`, to the minute.
pub fn wall_clock(at: DateTime<Utc>, zone: &str) -> NaiveDateTime {
    #[cfg(feature = "ssr")]
    {
        let zone = zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::Tz::Asia__Shanghai);
        at.with_timezone(&zone).naive_local()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        browser::wall_clock(at, zone).unwrap_or_else(|| at.naive_utc())
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = zone;
        at.naive_utc()
    }
}

/// `2026-11-22 14:05` in the company's zone.
pub fn format_time(at: DateTime<Utc>, zone: &str) -> String {
    wall_clock(at, zone).format("%Y-%m-%d %H:%M").to_string()
}

/// The day `at` falls on in the company's zone.
pub fn local_date(at: DateTime<Utc>, zone: &str) -> NaiveDate {
    wall_clock(at, zone).date()
}

/// The instant a wall-clock time in `zone` names (a form's date and time). Times skipped or
/// repeated by a daylight-saving change resolve as on the server (`clock`): the moment
/// the clock resumes, and the first of the two.
pub fn zone_to_utc(local: NaiveDateTime, zone: &str) -> DateTime<Utc> {
    use chrono::Duration;
    // The zone's offsets a day either side cover both sides of any change near `local`.
    for quarter in 0..=24 {
        let wanted = local + Duration::minutes(15 * quarter);
        let probe = wanted.and_utc();
        let mut found: Vec<DateTime<Utc>> = [probe - Duration::days(1), probe + Duration::days(1)]
            .into_iter()
            .map(|t| (wanted - (wall_clock(t, zone) - t.naive_utc())).and_utc())
            .filter(|candidate| wall_clock(*candidate, zone) == wanted)
            .collect();
        found.sort();
        if let Some(first) = found.first() {
            return *first;
        }
    }
    local.and_utc()
}

/// A span of `seconds` in its largest whole unit, "3 d" / "5 h" / "12 min" (a card's time in
/// its stage, a ticket's wait or deadline). A negative span counts as none.
pub fn span_text(seconds: i64, locale: Locale) -> String {
    let seconds = seconds.max(0);
    let (count, unit) = if seconds >= 86_400 {
        (seconds / 86_400, CommonText::Days)
    } else if seconds >= 3600 {
        (seconds / 3600, CommonText::Hours)
    } else {
        (seconds / 60, CommonText::Minutes)
    };
    fill(unit.text(locale), &[("n", &count)])
}

/// A point in time, in the company's zone.
#[component]
pub fn Timestamp(at: DateTime<Utc>) -> impl IntoView {
    let text = format_time(at, &company_zone());
    view! { <time datetime=at.to_rfc3339()>{text}</time> }
}

/// The browser has no zone database in the WASM; its own `Intl` knows every zone.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
mod browser {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use std::{cell::RefCell, collections::HashMap};
    use wasm_bindgen::{JsCast, JsValue};

    thread_local! {
        /// Building a formatter is far slower than using one; a page shows many times.
        static FORMATTERS: RefCell<HashMap<String, js_sys::Intl::DateTimeFormat>> =
            RefCell::new(HashMap::new());
    }

    fn formatter(zone: &str) -> js_sys::Intl::DateTimeFormat {
        FORMATTERS.with(|cache| {
            cache
                .borrow_mut()
                .entry(zone.to_owned())
                .or_insert_with(|| {
                    let options = js_sys::Object::new();
                    let set = |key: &str, value: &str| {
                        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
                    };
                    set("timeZone", zone);
                    set("hourCycle", "h23");
                    for field in ["year", "month", "day", "hour", "minute", "second"] {
                        set(field, "numeric");
                    }
                    let locales = js_sys::Array::of1(&JsValue::from_str("en-US"));
                    js_sys::Intl::DateTimeFormat::new(&locales, &options)
                })
                .clone()
        })
    }

    pub fn wall_clock(at: DateTime<Utc>, zone: &str) -> Option<NaiveDateTime> {
        let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
        let parts = formatter(zone).format_to_parts(&date);
        let mut fields = [0u32; 6];
        for part in parts.iter() {
            let kind = js_sys::Reflect::get(&part, &"type".into()).ok()?.as_string()?;
            // Literal parts ("/", ", ", ":") sit between the fields.
            let Some(index) = ["year", "month", "day", "hour", "minute", "second"]
                .iter()
                .position(|f| *f == kind)
            else {
                continue;
            };
            let value = js_sys::Reflect::get(&part, &"value".into()).ok()?;
            fields[index] = value.dyn_into::<js_sys::JsString>().ok()?.as_string()?.parse().ok()?;
        }
        let [year, month, day, hour, minute, second] = fields;
        NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_opt(hour % 24, minute, second)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_company_zone_both_ways() {
        let at = DateTime::parse_from_rfc3339("2026-02-28T16:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(format_time(at, "Asia/Shanghai"), "2026-03-01 00:30");
        assert_eq!(local_date(at, "America/New_York").to_string(), "2026-02-28");
        let local = NaiveDateTime::parse_from_str("2026-03-01 00:30", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(zone_to_utc(local, "Asia/Shanghai"), at);
        // The same answers as the server's conversion, including across daylight saving.
        for text in ["2026-03-29 02:30", "2026-10-25 02:30", "2026-07-01 12:00"] {
            let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
            assert_eq!(
                zone_to_utc(local, "Europe/Berlin"),
                crate::clock::local_to_utc(local, chrono_tz::Tz::Europe__Berlin),
                "{text}"
            );
        }
    }
}
