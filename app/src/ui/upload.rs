//! Sending a chosen file as the body of a same-site POST (imports), answered with JSON.

#[cfg(feature = "hydrate")]
use crate::error::{AppError, FieldError};

/// Posts the first file of `input` to `url`; the JSON answer on success, the `AppError` the
/// server sent otherwise (`file: Required` when no file was chosen).
#[cfg(feature = "hydrate")]
pub async fn post_file(
    url: &str,
    input: &web_sys::HtmlInputElement,
) -> Result<(String, serde_json::Value), AppError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let transport = |e: wasm_bindgen::JsValue| AppError::Transport(format!("{e:?}"));
    let file = input
        .files()
        .and_then(|files| files.get(0))
        .ok_or_else(|| AppError::validation("file", FieldError::Required))?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}name={}", urlencode(&file.name()));
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&file);
    let window = web_sys::window().ok_or_else(|| AppError::Transport("no window".into()))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(transport)?
        .dyn_into()
        .map_err(transport)?;
    let text = JsFuture::from(response.text().map_err(transport)?).await.map_err(transport)?;
    let body = text.as_string().unwrap_or_default();
    if response.ok() {
        let value = serde_json::from_str(&body).map_err(|e| AppError::Transport(e.to_string()))?;
        Ok((file.name(), value))
    } else {
        Err(serde_json::from_str(&body).unwrap_or(AppError::Transport(body)))
    }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(super::urlencode("客户 a&b.csv"), "%E5%AE%A2%E6%88%B7%20a%26b.csv");
    }
}
