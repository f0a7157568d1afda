//! The signed-in user, as the client asks for it.

use super::model::CurrentUser;
use crate::error::AppError;
use leptos::{prelude::*, server_fn::codec::Json};

/// The signed-in user, or `None`.
///
/// Anyone may call it. Errors: none beyond transport.
#[server(input = Json)]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let context = super::server::request_context()?;
    Ok(context.user.map(|caller| caller.user.clone()))
}
