//! Enums that travel as text (in the database, in URLs, in imported files): each variant's
//! stored name, every variant in order, and parsing back with a field error.

/// `text_enum!(Kind { Company => "company", Individual => "individual" })` gives `Kind::ALL`,
/// `as_str` and `parse`.
macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),* }
            }

            pub fn parse(value: &str) -> Result<Self, $crate::error::FieldError> {
                match value { $($text => Ok(<$ty>::$variant),)* _ => Err($crate::error::FieldError::InvalidChoice) }
            }
        }

        impl $crate::enums::Choice for $ty {
            fn all() -> &'static [Self] {
                Self::ALL
            }

            fn as_str(self) -> &'static str {
                <$ty>::as_str(self)
            }

            fn from_text(value: &str) -> Option<Self> {
                <$ty>::parse(value).ok()
            }
        }
    };
}
pub(crate) use text_enum;

/// An enum that travels as text, for the selects in `ui` that offer its variants.
pub trait Choice: Copy + PartialEq + Send + Sync + 'static {
    fn all() -> &'static [Self];
    fn as_str(self) -> &'static str;
    fn from_text(value: &str) -> Option<Self>;
}
