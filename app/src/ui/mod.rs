//! Domain-free widgets: tables, resource views, dialogs, selects, form submissions, toasts,
//! fields, notices, loading states. Never imports a domain.

mod choice;
mod dialog;
mod field;
mod form;
mod marks;
mod notice;
mod paged;
mod resource;
pub mod stopped;
mod table;
mod time;
mod toast;
mod typing;
mod upload;

pub use choice::{EnumFilter, EnumSelect};
pub use dialog::{ConfirmDialog, Dialog, EditDialog};
pub use field::{CheckboxField, SelectField, TextAreaField, TextField, field_message};
pub use form::{FormButtons, Submission, server_submission};
pub use marks::{ColorDot, FillBar, ProgressBar};
pub use notice::{ErrorNotice, Loading, MoreButton};
pub use paged::PagedList;
pub use resource::ResourceView;
pub use table::{Column, PagedTable, Table};
pub use time::{
    CompanyZone, Timestamp, company_zone, format_time, local_date, provide_company_zone, span_text,
    wall_clock, zone_to_utc,
};
pub use toast::{ToastKind, Toaster, Toasts, use_toasts};
pub use typing::Typed;
#[cfg(feature = "hydrate")]
pub use upload::post_file;
pub use upload::urlencode;
