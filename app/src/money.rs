//! Money in minor units with its currency, as every area reads, writes and shows it: never a
//! float. Below the areas (customers, orders, the pipeline, loyalty and exports all use it).

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// Money in minor units (fen, cents) with its currency; never a float.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

impl Money {
    /// `¥1,234.50`-style text with grouping; unknown currencies show their code.
    pub fn display(&self) -> String {
        let symbol = match self.currency.as_str() {
            "CNY" => "¥",
            "USD" => "$",
            "EUR" => "€",
            "HKD" => "HK$",
            other => other,
        };
        let negative = self.minor < 0;
        let abs = self.minor.unsigned_abs();
        let (major, minor) = (abs / 100, abs % 100);
        let digits = major.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{}{symbol}{grouped}.{minor:02}", if negative { "-" } else { "" })
    }
}

/// Minor units as a form field or a plain cell takes them back: `1280.00`, `-35.50` (what
/// [`parse_money`] reads).
pub fn money_text(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).abs(), (minor % 100).abs())
}

/// Parses `1234.5`, `1,234.50` or `¥1234` into minor units.
pub fn parse_money(input: &str) -> Result<i64, FieldError> {
    let cleaned: String =
        input.trim().chars().filter(|c| !matches!(c, ',' | '¥' | '$' | ' ' | '，')).collect();
    if cleaned.is_empty() {
        return Err(FieldError::Required);
    }
    let (major, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if major.is_empty() && fraction.is_empty()
        || !major.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > 2
    {
        return Err(FieldError::InvalidNumber);
    }
    let major: i64 =
        if major.is_empty() { 0 } else { major.parse().map_err(|_| FieldError::InvalidNumber)? };
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| FieldError::InvalidNumber)?;
    major.checked_mul(100).and_then(|m| m.checked_add(fraction)).ok_or(FieldError::InvalidNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_and_displays_in_minor_units() {
        assert_eq!(parse_money("1234.5"), Ok(123_450));
        assert_eq!(parse_money("¥1,234.56"), Ok(123_456));
        assert_eq!(parse_money("0.05"), Ok(5));
        assert_eq!(parse_money("12"), Ok(1200));
        assert_eq!(parse_money("1.234"), Err(FieldError::InvalidNumber));
        assert_eq!(parse_money("abc"), Err(FieldError::InvalidNumber));
        assert_eq!(parse_money(" "), Err(FieldError::Required));
        let money = Money { minor: 123_456_789, currency: "CNY".into() };
        assert_eq!(money.display(), "¥1,234,567.89");
        assert_eq!(Money { minor: -5, currency: "USD".into() }.display(), "-$0.05");
        assert_eq!(money_text(-3550), "-35.50");
        assert_eq!(parse_money(&money_text(123_405)), Ok(123_405), "a form reads back its text");
    }
}
