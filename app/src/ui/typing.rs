//! Search boxes that search once typing pauses, not on every keystroke.

use leptos::prelude::*;

/// What was typed into a search box, and what to search for: the same text once typing has
/// paused for `pause`.
#[derive(Clone, Copy)]
pub struct Typed {
    pub text: RwSignal<String>,
    pub settled: RwSignal<String>,
    pause: std::time::Duration,
}

impl Typed {
    pub fn new(pause: std::time::Duration) -> Self {
        Typed { text: RwSignal::new(String::new()), settled: RwSignal::new(String::new()), pause }
    }

    /// A search box whose `settled` text is `settled` (a filter's own signal).
    pub fn settling_into(settled: RwSignal<String>, pause: std::time::Duration) -> Self {
        Typed { text: RwSignal::new(settled.get_untracked()), settled, pause }
    }

    /// The `input` handler: keeps what is typed, and settles it after the pause unless more
    /// was typed meanwhile. The page may be gone when the pause ends (the user navigated away).
    pub fn on_input(self, ev: leptos::ev::Event) {
        let value = event_target_value(&ev);
        self.text.set(value.clone());
        let (text, settled) = (self.text, self.settled);
        set_timeout(
            move || {
                if text.try_get_untracked().is_some_and(|now| now == value) {
                    settled.try_set(value);
                }
            },
            self.pause,
        );
    }

    /// Empties both at once (a tab that starts afresh).
    pub fn clear(self) {
        self.text.set(String::new());
        self.settled.set(String::new());
    }
}
