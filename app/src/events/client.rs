//! The browser's end of the event stream.

use super::{ClientEvent, ServerEvents, Topic};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{EventSource, MessageEvent};

/// Opens `/events` and feeds `events` until the calling component is cleaned up. The browser
/// reconnects by itself after errors; after a reconnect the page is told to resync.
pub fn connect_server_events(events: ServerEvents) {
    let Ok(source) = EventSource::new("/events") else { return };
    let seq = Rc::new(Cell::new(0u64));
    let had_error = Rc::new(Cell::new(false));

    let on_message = {
        let seq = seq.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(data) = message.data().as_string() else { return };
            if let Ok(mut event) = serde_json::from_str::<ClientEvent>(&data) {
                seq.set(seq.get() + 1);
                event.seq = seq.get();
                events.push(event);
            }
        })
    };
    let on_error = {
        let had_error = had_error.clone();
        Closure::<dyn FnMut()>::new(move || had_error.set(true))
    };
    let on_open = Closure::<dyn FnMut()>::new(move || {
        if had_error.replace(false) {
            seq.set(seq.get() + 1);
            events.push(ClientEvent { topic: Topic::Resync, id: 0, seq: seq.get() });
        }
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));

    let held = SendWrapper::new((source, on_message, on_error, on_open));
    on_cleanup(move || held.0.close());
}
