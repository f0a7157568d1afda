//! Domain-free widgets: toasts, form fields, notices, loading states. Never imports a domain.

mod field;
mod marks;
mod notice;
mod paged;
pub mod stopped;
mod time;
mod toast;
mod upload;

pub use field::{CheckboxField, SelectField, TextField, field_message};
pub use marks::{ColorDot, FillBar, ProgressBar};
pub use notice::{ErrorNotice, Loading, MoreButton};
pub use paged::PagedList;
pub use time::{
    CompanyZone, Timestamp, company_zone, format_time, local_date, provide_company_zone, span_text,
    wall_clock, zone_to_utc,
};
pub use toast::{ToastKind, Toaster, Toasts, use_toasts};
#[cfg(feature = "hydrate")]
pub use upload::post_file;
pub use upload::urlencode;
