//! The pipeline board (drag and drop by mouse, touch and keyboard), the list view, the
//! opportunity page and form, the forecast, and the pipeline admin page.

use super::{api::*, model::*};
use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::model::{CustomerId, Money},
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, Locale, SalesText, Text, fill, use_i18n},
    ui::{
        Column as TableColumn, Dialog, EditDialog, ErrorNotice, FormButtons, PagedTable,
        ResourceView, SelectField, Table, TextField, Timestamp, field_message, server_submission,
        use_toasts,
    },
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};

fn money(minor: i64) -> String {
    Money { minor, currency: "CNY".into() }.display()
}

/// The board's working copy: columns with their figures and loaded cards, changed in place by
/// moves (at once, before the server answers) and by other people's moves (server events).
#[derive(Clone, Debug, PartialEq)]
struct Column {
    stage: Stage,
    summary: ColumnSummary,
    cards: Vec<Card>,
    next: Option<(DateTime<Utc>, i64)>,
}

#[derive(Clone, Debug, PartialEq)]
struct BoardState {
    columns: Vec<Column>,
}

impl BoardState {
    fn from_board(board: Board) -> Self {
        let columns = board
            .pipeline
            .stages
            .into_iter()
            .zip(board.columns)
            .zip(board.cards.into_iter().zip(board.next))
            .map(|((stage, summary), (cards, next))| Column { stage, summary, cards, next })
            .collect();
        BoardState { columns }
    }

    fn find(&self, id: OpportunityId) -> Option<(usize, &Card)> {
        self.columns
            .iter()
            .enumerate()
            .find_map(|(n, c)| c.cards.iter().find(|card| card.id == id).map(|card| (n, card)))
    }

    /// Takes a card out (its figures too). Returns whether it was loaded.
    fn remove(&mut self, id: OpportunityId) -> bool {
        for column in &mut self.columns {
            if let Some(at) = column.cards.iter().position(|c| c.id == id) {
                let card = column.cards.remove(at);
                column.summary.count -= 1;
                column.summary.total_minor -= card.amount_minor;
                column.summary.weighted_minor -=
                    weighted(card.amount_minor, column.stage.probability);
                return true;
            }
        }
        false
    }

    /// Puts a card in its stage's column (its figures too), in column order. A card that
    /// belongs past the loaded part of a column is only counted.
    fn insert(&mut self, card: Card) {
        let Some(column) = self.columns.iter_mut().find(|c| c.stage.id == card.stage_id) else {
            return;
        };
        column.summary.count += 1;
        column.summary.total_minor += card.amount_minor;
        column.summary.weighted_minor += weighted(card.amount_minor, column.stage.probability);
        let key = card.column_key();
        if column.next.is_some_and(|next| key < next) {
            return;
        }
        let at = column.cards.partition_point(|c| c.column_key() > key);
        column.cards.insert(at, card);
    }

    fn upsert(&mut self, card: Card) {
        self.remove(card.id);
        self.insert(card);
    }
}

/// What is being dragged, and where.
#[derive(Clone, Debug, PartialEq)]
struct Drag {
    card: Card,
    pointer_id: i32,
    start: (f64, f64),
    at: (f64, f64),
    offset: (f64, f64),
    width: f64,
    active: bool,
    touch: bool,
    target: Option<StageId>,
}

/// `/pipeline`: the board, with filters and a list view of the same opportunities.
#[component]
pub fn PipelinePage() -> impl IntoView {
    let i18n = use_i18n();
    let owner = RwSignal::new(String::new());
    let month = RwSignal::new(String::new());
    let min_amount = RwSignal::new(String::new());
    let list_view = RwSignal::new(false);
    let creating = RwSignal::new(false);
    // The list view's search: what is typed, and (after a pause) what is searched for.
    let typed = crate::ui::Typed::new(std::time::Duration::from_millis(300));
    let options = Resource::new(|| (), |_| crate::customers::api::get_customer_options());
    let filter = Memo::new(move |_| BoardFilter {
        owner_id: owner.get().parse().ok().map(crate::auth::model::UserId),
        close_month: NaiveDate::parse_from_str(&format!("{}-01", month.get()), "%Y-%m-%d").ok(),
        min_amount_minor: crate::customers::model::parse_money(&min_amount.get()).ok(),
        search: list_view.get().then(|| typed.settled.get()).filter(|s| !s.trim().is_empty()),
        ..Default::default()
    });
    let owner_options = Signal::derive(move || {
        crate::customers::views::owner_menu(i18n.text(SalesText::AllOwners), options.get())
    });
    view! {
        <section class="page pipeline-page">
            <div class="page-head">
                <h1>{i18n.t(SalesText::Pipeline)}</h1>
                <div class="actions">
                    <div class="segmented" role="group">
                        <button type="button" class="button small" aria-pressed=move || (!list_view.get()).to_string() on:click=move |_| list_view.set(false)>{i18n.t(SalesText::BoardView)}</button>
                        <button type="button" class="button small" aria-pressed=move || list_view.get().to_string() on:click=move |_| list_view.set(true)>{i18n.t(SalesText::ListView)}</button>
                    </div>
                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::Opportunities
                        filter=Signal::derive(move || serde_json::to_value(BoardFilter { include_closed: true, ..filter.get() }).ok())/>
                    <button type="button" class="button primary" on:click=move |_| creating.update(|c| *c = !*c)>{i18n.t(SalesText::NewOpportunity)}</button>
                </div>
            </div>
            <Show when=move || creating.get()>
                <OpportunityForm customer=None on_done=Callback::new(move |_| creating.set(false))/>
            </Show>
            <div class="filters card" data-testid="board-filters">
                <Transition fallback=|| ()>
                    <SelectField label=i18n.t(SalesText::Owner) name="owner" value=owner options=owner_options/>
                </Transition>
                <TextField label=i18n.t(SalesText::CloseMonth) name="close_month" input_type="month" value=month/>
                <TextField label=i18n.t(SalesText::MinAmount) name="min_amount" value=min_amount/>
                <Show when=move || list_view.get()>
                    <div class="field">
                        <label for="field-opportunity_search">{i18n.t(SalesText::SearchOpportunities)}</label>
                        <input type="search" id="field-opportunity_search" name="opportunity_search"
                            placeholder=move || i18n.text(SalesText::SearchHint)
                            prop:value=move || typed.text.get()
                            on:input=move |ev| typed.on_input(ev)/>
                    </div>
                </Show>
            </div>
            {move || {
                let filter = filter.get();
                if list_view.get() {
                    view! { <OpportunityList filter/> }.into_any()
                } else {
                    view! { <BoardLoader filter/> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn BoardLoader(filter: BoardFilter) -> impl IntoView {
    let changes = use_server_events().changes(Topic::Resync);
    let reload = RwSignal::new(0u32);
    let filter_for_load = filter.clone();
    let board = Resource::new(
        move || (changes.get(), reload.get()),
        move |_| get_board(filter_for_load.clone()),
    );
    view! {
        <ResourceView resource=board let:board>
            <BoardView board filter=filter.clone() reload/>
        </ResourceView>
    }
}

#[component]
fn BoardView(board: Board, filter: BoardFilter, reload: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let state = RwSignal::new(BoardState::from_board(board));
    let drag = RwSignal::new(None::<Drag>);
    // The keyboard's picked-up card and the column it would go to.
    let picked = RwSignal::new(None::<(OpportunityId, usize)>);
    let pending_lost = RwSignal::new(None::<(Card, StageId)>);
    // Open while a move to a lost stage waits for its reason; closing (or Escape) drops the move.
    let lost_open = RwSignal::new(false);
    let lost_reason = RwSignal::new(String::new());
    let announcement = RwSignal::new(String::new());
    let saving = RwSignal::new(Vec::<OpportunityId>::new());

    // Other people's moves: refresh that one card; a card never loaded here means the column
    // figures are unknown, so the board reloads.
    let events = use_server_events().last();
    Effect::new(move |_| {
        let Some(event) = events.get() else { return };
        if event.topic != Topic::Opportunity {
            return;
        }
        if event.id == 0 {
            reload.update(|n| *n += 1);
            return;
        }
        let id = OpportunityId(event.id);
        if saving.with_untracked(|s| s.contains(&id)) {
            return;
        }
        spawn_local(async move {
            match get_card(id).await {
                Ok(Some(card)) => {
                    // The board may have been rebuilt (a reload, another page) while the card
                    // was on its way: its state is gone then, and the new board has the card.
                    let Some(known) =
                        state.try_with_untracked(|s| s.find(id).map(|(_, c)| c.version))
                    else {
                        return;
                    };
                    let all_loaded = state
                        .try_with_untracked(|s| s.columns.iter().all(|c| c.next.is_none()))
                        .unwrap_or(false);
                    match known {
                        Some(version) if version >= card.version => {}
                        Some(_) => {
                            state.try_update(|s| s.upsert(card));
                        }
                        None if all_loaded => {
                            state.try_update(|s| s.insert(card));
                        }
                        None => {
                            reload.try_update(|n| *n += 1);
                        }
                    }
                }
                Ok(None) => {
                    if !state.try_update(|s| s.remove(id)).unwrap_or(false) {
                        reload.try_update(|n| *n += 1);
                    }
                }
                Err(_) => {}
            }
        });
    });

    let stage_name = move |id: StageId| {
        state.with_untracked(|s| {
            s.columns
                .iter()
                .find(|c| c.stage.id == id)
                .map(|c| c.stage.name(i18n.locale()).to_owned())
                .unwrap_or_default()
        })
    };

    // A move shows at once and is saved in the background; a refusal puts the card back where
    // the server has it and says why.
    let commit_move = move |card: Card, to: StageId, reason: Option<String>| {
        let original = card.clone();
        let mut moved = card.clone();
        moved.stage_id = to;
        moved.stage_entered_at = Utc::now();
        state.update(|s| s.upsert(moved));
        saving.update(|s| s.push(card.id));
        announcement.set(fill(
            i18n.text(SalesText::MovedTo),
            &[("title", &card.title), ("stage", &stage_name(to))],
        ));
        spawn_local(async move {
            let result = move_opportunity(card.id, card.version, to, reason).await;
            saving.update(|s| s.retain(|id| *id != card.id));
            match result {
                Ok(saved) => state.update(|s| s.upsert(saved)),
                Err(error) => {
                    let latest = get_card(card.id).await.ok().flatten();
                    state.update(|s| match latest {
                        Some(latest) => s.upsert(latest),
                        None => {
                            s.remove(card.id);
                        }
                    });
                    if error == AppError::Conflict {
                        toasts.show(crate::ui::ToastKind::Error, move |locale| {
                            fill(
                                SalesText::MoveConflict.text(locale),
                                &[("title", &original.title)],
                            )
                        });
                    } else {
                        toasts.error(error);
                    }
                }
            }
        });
    };
    let request_move = move |card: Card, to: StageId| {
        if card.stage_id == to {
            return;
        }
        let lost = state.with_untracked(|s| {
            s.columns.iter().any(|c| c.stage.id == to && c.stage.kind == StageKind::Lost)
        });
        if lost {
            lost_reason.set(String::new());
            pending_lost.set(Some((card, to)));
            lost_open.set(true);
        } else {
            commit_move(card, to, None);
        }
    };

    // Pointer dragging: a mouse drags after a few pixels; a touch after a long press, so that
    // a swipe still scrolls the board.
    let column_at = |x: f64, y: f64| -> Option<StageId> {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let element = web_sys::window()?.document()?.element_from_point(x as f32, y as f32)?;
            let column = element.closest("[data-stage-id]").ok().flatten()?;
            let column: web_sys::HtmlElement = column.dyn_into().ok()?;
            column.dataset().get("stageId")?.parse().ok().map(StageId)
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (x, y);
            None
        }
    };
    let start_drag = move |ev: leptos::ev::PointerEvent, card: Card| {
        if ev.button() != 0 {
            return;
        }
        let touch = ev.pointer_type() == "touch";
        #[allow(unused_mut)]
        let (mut offset, mut width) = ((12.0, 12.0), 260.0);
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(target) =
                ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let rect = target.get_bounding_client_rect();
                offset =
                    (f64::from(ev.client_x()) - rect.left(), f64::from(ev.client_y()) - rect.top());
                width = rect.width();
                let _ = target.set_pointer_capture(ev.pointer_id());
            }
        }
        let at = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let id = card.id;
        drag.set(Some(Drag {
            card,
            pointer_id: ev.pointer_id(),
            start: at,
            at,
            offset,
            width,
            active: false,
            touch,
            target: None,
        }));
        if touch {
            set_timeout(
                // `try_`: the board may be gone when the long press ends.
                move || {
                    drag.try_update(|d| {
                        if let Some(d) = d.as_mut().filter(|d| d.card.id == id && !d.active) {
                            d.active = true;
                            d.target = Some(d.card.stage_id);
                        }
                    });
                },
                std::time::Duration::from_millis(350),
            );
        }
    };
    let move_drag = move |ev: leptos::ev::PointerEvent| {
        let Some(mut current) = drag.get_untracked() else { return };
        if current.pointer_id != ev.pointer_id() {
            return;
        }
        let at = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let distance = ((at.0 - current.start.0).powi(2) + (at.1 - current.start.1).powi(2)).sqrt();
        if !current.active {
            if current.touch {
                // Moving before the long press ends is a swipe: let the browser scroll.
                if distance > 10.0 {
                    drag.set(None);
                }
                return;
            }
            if distance < 5.0 {
                return;
            }
            current.active = true;
        }
        ev.prevent_default();
        current.at = at;
        current.target = column_at(at.0, at.1).or(current.target);
        drag.set(Some(current));
    };
    let end_drag = move |ev: leptos::ev::PointerEvent| {
        let Some(current) = drag.get_untracked() else { return };
        if current.pointer_id != ev.pointer_id() {
            return;
        }
        drag.set(None);
        if !current.active {
            return;
        }
        let target =
            column_at(f64::from(ev.client_x()), f64::from(ev.client_y())).or(current.target);
        if let Some(to) = target {
            request_move(current.card, to);
        }
    };
    let cancel_drag = move |_| drag.set(None);

    // While a touch drag is on, the page must not scroll under the finger: a non-passive
    // touchmove listener cancels it (event delegation would be passive).
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, closure::Closure};
        let listener =
            Closure::<dyn Fn(web_sys::TouchEvent)>::new(move |ev: web_sys::TouchEvent| {
                if drag.with_untracked(|d| d.as_ref().is_some_and(|d| d.active)) {
                    ev.prevent_default();
                }
            });
        let options = web_sys::AddEventListenerOptions::new();
        options.set_passive(false);
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let _ = document.add_event_listener_with_callback_and_add_event_listener_options(
                "touchmove",
                listener.as_ref().unchecked_ref(),
                &options,
            );
            let function: js_sys::Function = listener.as_ref().clone().unchecked_into();
            on_cleanup(move || {
                if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                    let _ = document.remove_event_listener_with_callback("touchmove", &function);
                }
            });
        }
        listener.forget();
    }

    // The keyboard: Space or Enter picks a card up, arrows choose the column, Space or Enter
    // drops it there, Escape puts it back.
    let on_key = move |ev: leptos::ev::KeyboardEvent, card: Card| {
        let columns = state.with_untracked(|s| s.columns.len());
        let home = state.with_untracked(|s| s.find(card.id).map(|(n, _)| n)).unwrap_or(0);
        match (ev.key().as_str(), picked.get_untracked()) {
            (" " | "Enter", None) => {
                ev.prevent_default();
                picked.set(Some((card.id, home)));
                announcement.set(fill(i18n.text(SalesText::PickedUp), &[("title", &card.title)]));
            }
            (" " | "Enter", Some((id, column))) if id == card.id => {
                ev.prevent_default();
                picked.set(None);
                let to = state.with_untracked(|s| s.columns[column].stage.id);
                request_move(card, to);
            }
            ("ArrowRight" | "ArrowLeft", Some((id, column))) if id == card.id => {
                ev.prevent_default();
                let next = if ev.key() == "ArrowRight" {
                    (column + 1).min(columns - 1)
                } else {
                    column.saturating_sub(1)
                };
                picked.set(Some((id, next)));
                let stage = state.with_untracked(|s| s.columns[next].stage.id);
                announcement
                    .set(fill(i18n.text(SalesText::WouldMoveTo), &[("stage", &stage_name(stage))]));
            }
            ("Escape", Some(_)) => {
                picked.set(None);
                announcement.set(i18n.text(SalesText::DragCancelled).to_owned());
            }
            _ => {}
        }
    };

    let load_more = move |index: usize| {
        let Some((stage, after)) =
            state.with_untracked(|s| s.columns.get(index).map(|c| (c.stage.id, c.next)))
        else {
            return;
        };
        let filter = filter.clone();
        spawn_local(async move {
            if let Ok(page) = get_column_page(filter, stage, after).await {
                state.update(|s| {
                    if let Some(column) = s.columns.get_mut(index) {
                        for card in page.items {
                            if !column.cards.iter().any(|c| c.id == card.id) {
                                column.cards.push(card);
                            }
                        }
                        column.next = page.next;
                    }
                });
            }
        });
    };
    let load_more = StoredValue::new(load_more);

    let now = Utc::now();
    view! {
        <div class="board" data-testid="board" class:dragging=move || drag.with(|d| d.as_ref().is_some_and(|d| d.active))
            on:pointermove=move_drag on:pointerup=end_drag on:pointercancel=cancel_drag>
            <For
                each=move || state.with(|s| (0..s.columns.len()).collect::<Vec<_>>())
                key=|n| *n
                let(index)
            >
                {
                    let column = move || state.with(|s| s.columns.get(index).cloned());
                    let stage = state.with_untracked(|s| s.columns[index].stage.clone());
                    let stage_id = stage.id;
                    let is_target = move || {
                        drag.with(|d| d.as_ref().is_some_and(|d| d.active && d.target == Some(stage_id)))
                            || picked.with(|p| p.is_some_and(|(_, c)| c == index))
                    };
                    let name = stage.clone();
                    let (won, lost) = (stage.kind == StageKind::Won, stage.kind == StageKind::Lost);
                    let head = stage.clone();
                    view! {
                        <section class="column" data-stage-id=stage_id.0.to_string() data-testid="column"
                            data-stage=stage.name_en.clone() class:drop-target=is_target
                            class:final-won=won class:final-lost=lost
                            aria-label=move || name.name(i18n.locale()).to_owned()>
                            <header class="column-head">
                                <h2><crate::ui::ColorDot color=stage.color.clone()/>{move || head.name(i18n.locale()).to_owned()}" "<span class="muted small">{stage.probability}"%"</span></h2>
                                {move || column().map(|c| view! {
                                    <p class="column-figures">
                                        <span data-testid="column-count">{c.summary.count}</span>
                                        " · "<span data-testid="column-total">{money(c.summary.total_minor)}</span>
                                        " · "<span class="muted" title=move || i18n.text(SalesText::Weighted)>{money(c.summary.weighted_minor)}</span>
                                    </p>
                                })}
                            </header>
                            <div class="column-cards" on:scroll=move |ev| {
                                #[cfg(feature = "hydrate")]
                                {
                                    use wasm_bindgen::JsCast;
                                    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                                        let near_end = el.scroll_top() + el.client_height() + 200 >= el.scroll_height();
                                        if near_end && state.with_untracked(|s| s.columns[index].next.is_some()) {
                                            load_more.with_value(|f| f(index));
                                        }
                                    }
                                }
                                #[cfg(not(feature = "hydrate"))]
                                let _ = ev;
                            }>
                                <For
                                    each=move || state.with(|s| s.columns.get(index).map(|c| c.cards.clone()).unwrap_or_default())
                                    key=|card| (card.id, card.version, card.stage_id)
                                    let(card)
                                >
                                    {
                                        let id = card.id;
                                        let in_stage = (now - card.stage_entered_at).num_seconds();
                                        let for_drag = card.clone();
                                        let for_key = card.clone();
                                        let amount = card.amount().display();
                                        view! {
                                            <article class="opportunity-card" data-testid="card" data-id=id.0.to_string()
                                                tabindex="0" role="button"
                                                aria-grabbed=move || picked.with(|p| p.is_some_and(|(p, _)| p == id)).to_string()
                                                class:placeholder=move || drag.with(|d| d.as_ref().is_some_and(|d| d.active && d.card.id == id))
                                                class:saving=move || saving.with(|s| s.contains(&id))
                                                on:pointerdown=move |ev| start_drag(ev, for_drag.clone())
                                                on:contextmenu=move |ev| ev.prevent_default()
                                                on:keydown=move |ev| on_key(ev, for_key.clone())>
                                                <h3><A href=format!("/opportunities/{}", id.0) attr:draggable="false">{card.title.clone()}</A></h3>
                                                <p class="card-customer">{card.customer_name.clone()}</p>
                                                <p class="card-amount" data-testid="card-amount">{amount}</p>
                                                <p class="card-meta muted small">
                                                    <span>{card.expected_close.to_string()}</span>
                                                    <span>{card.owner_name.clone().unwrap_or_default()}</span>
                                                    <span title=move || i18n.text(SalesText::TimeInStage)>{move || crate::ui::span_text(in_stage, i18n.locale())}</span>
                                                </p>
                                            </article>
                                        }
                                    }
                                </For>
                                {move || column().filter(|c| c.next.is_some()).map(|_| view! {
                                    <button type="button" class="button small ghost more-cards" on:click=move |_| load_more.with_value(|f| f(index))>{i18n.t(CommonText::LoadMore)}</button>
                                })}
                            </div>
                        </section>
                    }
                }
            </For>
        </div>
        // The card under the pointer while dragging.
        {move || drag.get().filter(|d| d.active).map(|d| view! {
            <div class="opportunity-card drag-ghost" aria-hidden="true"
                style:left=format!("{}px", d.at.0 - d.offset.0) style:top=format!("{}px", d.at.1 - d.offset.1)
                style:width=format!("{}px", d.width)>
                <h3>{d.card.title.clone()}</h3>
                <p class="card-customer">{d.card.customer_name.clone()}</p>
                <p class="card-amount">{d.card.amount().display()}</p>
            </div>
        })}
        <p class="visually-hidden" aria-live="polite" data-testid="board-announcement">{move || announcement.get()}</p>
        <Dialog open=lost_open testid="lost-dialog" title=move || {
            let title = pending_lost.with(|p| p.as_ref().map(|(card, _)| card.title.clone())).unwrap_or_default();
            fill(i18n.text(SalesText::MarkLostTitle), &[("title", &title)])
        }>
            <TextField label=i18n.t(SalesText::LostReason) name="lost_reason" value=lost_reason required=true/>
            <div class="actions">
                <button type="button" class="button primary" disabled=move || lost_reason.with(|r| r.trim().is_empty())
                    on:click=move |_| {
                        lost_open.set(false);
                        if let Some((card, to)) = pending_lost.get_untracked() {
                            commit_move(card, to, Some(lost_reason.get_untracked()));
                        }
                    }>{i18n.t(SalesText::MarkLost)}</button>
                <button type="button" class="button ghost" on:click=move |_| lost_open.set(false)>{i18n.t(CommonText::Cancel)}</button>
            </div>
        </Dialog>
    }
}

/// The list view: the board's opportunities by expected close date.
#[component]
fn OpportunityList(filter: BoardFilter) -> impl IntoView {
    let i18n = use_i18n();
    let changes = use_server_events().changes(Topic::Opportunity);
    let pages = crate::ui::PagedList::new(
        move || changes.get(),
        move |_, after: Option<(NaiveDate, i64)>| list_opportunities(filter.clone(), after),
    );
    let stages = Resource::new(|| (), |_| list_pipelines());
    let stage_name = move |id: StageId| {
        stages
            .get()
            .and_then(Result::ok)
            .and_then(|p| {
                p.iter()
                    .flat_map(|p| p.stages.iter())
                    .find(|s| s.id == id)
                    .map(|s| s.name(i18n.locale()).to_owned())
            })
            .unwrap_or_default()
    };
    let columns = vec![
        TableColumn::new(i18n.t(SalesText::Title)),
        TableColumn::new(i18n.t(SalesText::Customer)),
        TableColumn::new(i18n.t(SalesText::Stage)),
        TableColumn::new(i18n.t(SalesText::Amount)).numeric(),
        TableColumn::new(i18n.t(SalesText::ExpectedClose)),
        TableColumn::new(i18n.t(SalesText::Owner)),
    ];
    view! {
        <PagedTable list=pages columns testid="opportunity-list" row=move |card: Card| {
            let (title, customer) = (card.title.clone(), card.customer_name.clone());
            view! {
                <tr>
                    <td><A href=format!("/opportunities/{}", card.id.0)>{title}</A></td>
                    <td><A href=format!("/customers/{}", card.customer_id.0)>{customer}</A></td>
                    <td>{move || stage_name(card.stage_id)}</td>
                    <td class="num">{card.amount().display()}</td>
                    <td>{card.expected_close.to_string()}</td>
                    <td>{card.owner_name.clone().unwrap_or_default()}</td>
                </tr>
            }
        }/>
    }
}

/// The new-opportunity form; with `customer` set (from the 360 page) the customer is fixed.
#[component]
pub fn OpportunityForm(
    customer: Option<(CustomerId, String)>,
    on_done: Callback<()>,
    /// The opportunity to edit, as the page shows it; `None` creates one.
    #[prop(optional)]
    editing: Option<OpportunityDetail>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let card = editing.as_ref().map(|d| d.card.clone());
    let title = RwSignal::new(card.as_ref().map(|c| c.title.clone()).unwrap_or_default());
    let amount = RwSignal::new(
        card.as_ref()
            .map(|c| crate::customers::model::money_text(c.amount_minor))
            .unwrap_or_default(),
    );
    let close = RwSignal::new(
        card.as_ref().map(|c| c.expected_close.format("%Y-%m-%d").to_string()).unwrap_or_default(),
    );
    let next_step =
        RwSignal::new(editing.as_ref().and_then(|d| d.next_step.clone()).unwrap_or_default());
    let owner = RwSignal::new(
        card.as_ref().and_then(|c| c.owner_id).map(|o| o.0.to_string()).unwrap_or_default(),
    );
    let chosen = RwSignal::new(customer.clone());
    // Product lines: (product id as text, quantity).
    let lines: RwSignal<Vec<(String, String)>> = RwSignal::new(
        editing
            .as_ref()
            .map(|d| {
                d.lines
                    .iter()
                    .map(|l| (l.product_id.0.to_string(), l.quantity.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    );
    let products = Resource::new(|| (), |_| crate::orders::api::list_products(false));
    let options = Resource::new(|| (), |_| crate::customers::api::get_customer_options());
    let owner_options =
        Signal::derive(move || crate::customers::views::owner_menu("—", options.get()));
    let navigate = leptos_router::hooks::use_navigate();
    let target = card.as_ref().map(|c| (c.id, c.version));
    // One form, two requests: the edit names the version it was filled from, so a change
    // someone saved meanwhile is refused (with who made it) instead of overwritten.
    let save = crate::ui::Submission::new(move |input: &OpportunityInput| {
        let input = input.clone();
        async move {
            match target {
                Some((id, version)) => update_opportunity(id, version, input).await.map(|c| c.id),
                None => create_opportunity(input).await,
            }
        }
    })
    .shows_fields_under("lines.")
    .on_success(move |id: OpportunityId| {
        if target.is_some() {
            toasts.success(SalesText::Saved);
            on_done.run(());
        } else {
            toasts.success(SalesText::OpportunityCreated);
            on_done.run(());
            navigate(&format!("/opportunities/{}", id.0), Default::default());
        }
    });
    let failure = save.failure();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = OpportunityInput {
            customer_id: chosen.get_untracked().map(|c| c.0),
            title: title.get_untracked(),
            amount: amount.get_untracked(),
            expected_close: NaiveDate::parse_from_str(&close.get_untracked(), "%Y-%m-%d").ok(),
            owner_id: owner.get_untracked().parse().ok().map(crate::auth::model::UserId),
            next_step: next_step.get_untracked(),
            lines: lines
                .get_untracked()
                .into_iter()
                .map(|(product, quantity)| OpportunityLineInput {
                    product_id: product.parse().ok().map(crate::orders::model::ProductId),
                    quantity,
                })
                .collect(),
            ..Default::default()
        };
        save.submit(input);
    };
    let fixed = customer.is_some() || editing.is_some();
    let creating = editing.is_none();
    view! {
        <form class="card form panel" data-testid="opportunity-form" on:submit=submit>
            {creating.then(|| view! { <h2>{i18n.t(SalesText::NewOpportunity)}</h2> })}
            {(!fixed).then(|| view! {
                <crate::customers::views::CustomerPicker label=i18n.t(SalesText::Customer) chosen error=save.field("customer_id")/>
            })}
            <div class="grid-2">
                <TextField label=i18n.t(SalesText::Title) name="title" value=title error=save.field("title")/>
                <TextField label=i18n.t(SalesText::Amount) name="amount" value=amount error=save.field("amount")/>
                <TextField label=i18n.t(SalesText::ExpectedClose) name="expected_close" input_type="date" value=close error=save.field("expected_close")/>
                <TextField label=i18n.t(SalesText::NextStep) name="next_step" value=next_step error=save.field("next_step")/>
                <Transition fallback=|| ()>
                    <SelectField label=i18n.t(SalesText::Owner) name="owner_id" value=owner options=owner_options error=save.field("owner_id")/>
                </Transition>
            </div>
            <fieldset class="lines">
                <legend>{i18n.t(SalesText::Products)}</legend>
                <p class="hint">{i18n.t(SalesText::ProductsHelp)}</p>
                {move || lines.get().into_iter().enumerate().map(|(n, (product, quantity))| {
                    let options = products.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <div class="inline-form compact">
                            <select name=format!("line_product_{n}") aria-label=move || i18n.text(SalesText::Products)
                                on:change=move |ev| lines.update(|l| l[n].0 = event_target_value(&ev))>
                                <option value="">"—"</option>
                                {options.into_iter().map(|p| {
                                    let selected = p.id.0.to_string() == product;
                                    view! { <option value=p.id.0.to_string() selected=selected>{format!("{} · {}", p.name, p.unit_price.display())}</option> }
                                }).collect_view()}
                            </select>
                            <input type="number" min="1" name=format!("line_quantity_{n}") aria-label=move || i18n.text(SalesText::Quantity)
                                prop:value=quantity on:input=move |ev| lines.update(|l| l[n].1 = event_target_value(&ev))/>
                            <button type="button" class="button small ghost" on:click=move |_| lines.update(|l| { l.remove(n); })>{i18n.t(SalesText::Remove)}</button>
                            <span class="field-error">{field_message(failure, format!("lines.{n}.product_id"))}{field_message(failure, format!("lines.{n}.quantity"))}</span>
                        </div>
                    }
                }).collect_view()}
                <button type="button" class="button small" on:click=move |_| lines.update(|l| l.push((String::new(), "1".into())))>{i18n.t(SalesText::AddProduct)}</button>
            </fieldset>
            <FormButtons submit=i18n.t(CommonText::Save) pending=save.pending() on_cancel=on_done/>
        </form>
    }
}

/// `/opportunities/:id`: facts, stage buttons, editing, products and the stage history, with
/// the sections other areas lend it below (`beside`: the opportunity's tasks, given by the
/// root).
#[component]
pub fn OpportunityPage(beside: fn(OpportunityId) -> AnyView) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|v| v.parse().ok()).map(OpportunityId))
    });
    let changes = use_server_events().changes(Topic::Opportunity);
    let local = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id.get(), changes.get(), local.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_opportunity(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let lost_reason = RwSignal::new(String::new());
    let editing = EditDialog::<OpportunityDetail>::new();
    let navigate = leptos_router::hooks::use_navigate();
    let deleting = crate::ui::EditDialog::<Card>::new();
    let deletion = server_submission::<DeleteOpportunity>()
        .on_success(move |()| {
            toasts.success(SalesText::OpportunityDeleted);
            navigate("/pipeline", Default::default());
        })
        .on_failure(move || local.update(|n| *n += 1));
    let delete = Callback::new(move |_: ()| {
        if let Some(card) = deleting.snapshot_untracked() {
            deletion.submit(DeleteOpportunity { id: card.id, version: card.version });
        }
    });
    let delete_title = move || {
        let title = deleting.snapshot().map(|c| c.title).unwrap_or_default();
        fill(i18n.text(SalesText::DeleteOpportunityTitle), &[("title", &title)])
    };
    // Refused when someone moved it first: the page reloads to show where it is now.
    let moving = server_submission::<MoveOpportunity>()
        .on_success(move |_| {
            local.update(|n| *n += 1);
            toasts.success(SalesText::Saved);
        })
        .on_failure(move || local.update(|n| *n += 1));
    let move_to = move |card: Card, stage: Stage| {
        moving.submit(MoveOpportunity {
            id: card.id,
            version: card.version,
            stage_id: stage.id,
            lost_reason: (stage.kind == StageKind::Lost).then(|| lost_reason.get_untracked()),
        });
    };
    view! {
        <section class="page">
            <crate::ui::ConfirmDialog open=deleting.open testid="confirm-delete-opportunity" title=delete_title
                message=i18n.t(SalesText::ConfirmDeleteOpportunity) confirm=i18n.t(SalesText::DeleteOpportunity) on_confirm=delete/>
            <ResourceView resource=detail let:d>
                {
                        let card = d.card.clone();
                        let for_delete = card.clone();
                        let stage = d.pipeline.stage(card.stage_id).cloned();
                        let pipeline = d.pipeline.clone();
                        let stage_kind = stage.as_ref().map(|s| s.kind).unwrap_or_default();
                        let customer_name = card.customer_name.clone();
                        let for_edit = d.clone();
                        view! {
                            <div class="page-head">
                                <div>
                                    <h1 data-testid="opportunity-title">{card.title.clone()}</h1>
                                    <p><A href=format!("/customers/{}", card.customer_id.0)>{customer_name}</A></p>
                                </div>
                                <div class="actions">
                                    <button type="button" class="button" data-testid="edit-opportunity"
                                        on:click=move |_| editing.open_with(for_edit.clone())>{i18n.t(CommonText::Edit)}</button>
                                    {(stage_kind == StageKind::Open).then(|| view! {
                                        <button type="button" class="button ghost" data-testid="delete-opportunity"
                                            on:click=move |_| deleting.open_with(for_delete.clone())>{i18n.t(SalesText::DeleteOpportunity)}</button>
                                    })}
                                </div>
                                <span class="badge stage-badge" data-testid="opportunity-stage">
                                    {stage.as_ref().map(|s| view! { <crate::ui::ColorDot color=s.color.clone()/> })}
                                    {let stage = stage.clone(); move || stage.as_ref().map(|s| s.name(i18n.locale()).to_owned()).unwrap_or_default()}
                                </span>
                            </div>
                            <div class="card">
                                <dl class="facts">
                                    <div><dt>{i18n.t(SalesText::Amount)}</dt><dd data-testid="opportunity-amount">{card.amount().display()}</dd></div>
                                    <div><dt>{i18n.t(SalesText::ExpectedClose)}</dt><dd>{card.expected_close.to_string()}</dd></div>
                                    <div><dt>{i18n.t(SalesText::Owner)}</dt><dd>{card.owner_name.clone().unwrap_or_default()}</dd></div>
                                    <div><dt>{i18n.t(SalesText::NextStep)}</dt><dd>{d.next_step.clone().unwrap_or_default()}</dd></div>
                                    {d.lost_reason.clone().map(|r| view! { <div><dt>{i18n.t(SalesText::LostReason)}</dt><dd>{r}</dd></div> })}
                                </dl>
                            </div>
                            <div class="card">
                                <h2>{i18n.t(SalesText::MoveTo)}</h2>
                                <div class="actions stage-buttons">
                                    {pipeline.stages.iter().filter(|s| s.id != card.stage_id).cloned().map(|s| {
                                        let card = card.clone();
                                        let label = s.clone();
                                        let class = match s.kind { StageKind::Won => "button small primary", StageKind::Lost => "button small danger", StageKind::Open => "button small" };
                                        let disabled = s.kind == StageKind::Lost;
                                        view! {
                                            <button type="button" class=class data-stage=s.name_en.clone()
                                                disabled=move || disabled && lost_reason.with(|r| r.trim().is_empty())
                                                on:click=move |_| move_to(card.clone(), s.clone())>
                                                {move || label.name(i18n.locale()).to_owned()}
                                            </button>
                                        }
                                    }).collect_view()}
                                </div>
                                {(stage_kind != StageKind::Lost).then(|| view! {
                                    <TextField label=i18n.t(SalesText::LostReason) name="lost_reason" value=lost_reason/>
                                })}
                            </div>
                            {(!d.lines.is_empty()).then(|| view! {
                                <div class="card">
                                    <h2>{i18n.t(SalesText::Products)}</h2>
                                    <ul class="plain-list">
                                        {d.lines.iter().map(|l| view! { <li>{l.product_name.clone()}" × "{l.quantity}" · "{money(l.unit_price_minor)}</li> }).collect_view()}
                                    </ul>
                                </div>
                            })}
                            <div class="card">
                                <h2>{i18n.t(SalesText::StageHistory)}</h2>
                                <ul class="plain-list" data-testid="stage-history">
                                    {d.history.iter().map(|h| {
                                        let name = |id: Option<StageId>| id.and_then(|id| pipeline.stage(id)).map(|s| (s.name_zh.clone(), s.name_en.clone()));
                                        let from = name(h.from_stage_id);
                                        let to = name(Some(h.to_stage_id));
                                        let pick = move |n: &Option<(String, String)>, locale: Locale| n.as_ref().map(|(zh, en)| if locale == Locale::ZhCn { zh.clone() } else { en.clone() }).unwrap_or_else(|| "—".into());
                                        let days = h.seconds_in_stage.map(|s| s / 86_400);
                                        view! {
                                            <li>
                                                <Timestamp at=h.at/>" "
                                                {move || format!("{} → {}", pick(&from, i18n.locale()), pick(&to, i18n.locale()))}
                                                {days.map(|d| view! { <span class="muted small">" "{move || fill(i18n.text(SalesText::DaysInStage), &[("n", &d)])}</span> })}
                                                " "<span class="muted small">{h.by_name.clone().unwrap_or_default()}</span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        }
                }
            </ResourceView>
            <Dialog open=editing.open title=i18n.t(SalesText::EditOpportunity) testid="opportunity-edit">
                {move || editing.snapshot().map(|detail| view! {
                    <OpportunityForm customer=None editing=detail
                        on_done=Callback::new(move |_| { editing.close(); local.update(|n| *n += 1); })/>
                })}
            </Dialog>
            // Outside the page's own Transition: a resource created inside another's content
            // would not be part of the server-rendered state the browser hydrates.
            {move || id.get().map(beside)}
        </section>
    }
}

/// The 360 page's open opportunities, with a way to add one. The page knows the customer's name
/// (`customer_name`, `None` until loaded), which the form for a new opportunity shows.
#[component]
pub fn CustomerOpportunities(
    customer_id: CustomerId,
    #[prop(into)] customer_name: Signal<Option<String>>,
    #[prop(into)] version: Signal<(u64, u32)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let adding = RwSignal::new(false);
    let opportunities =
        Resource::new(move || (customer_id, version.get()), |(id, _)| customer_opportunities(id));
    view! {
        <div class="card" data-testid="customer-opportunities">
            <div class="card-head">
                <h2>{i18n.t(SalesText::OpenOpportunities)}</h2>
                <button type="button" class="button small" on:click=move |_| adding.update(|a| *a = !*a)>{i18n.t(SalesText::NewOpportunity)}</button>
            </div>
            <ResourceView resource=opportunities let:list>
                {match list {
                    list if list.is_empty() => view! { <p class="muted small">{i18n.t(SalesText::NoOpenOpportunities)}</p> }.into_any(),
                    list => view! {
                        <ul class="plain-list">
                            {list.into_iter().map(|c| {
                                let (href, title, amount) = (format!("/opportunities/{}", c.id.0), c.title.clone(), c.amount().display());
                                view! {
                                    <li><A href=href>{title}</A>" · "{amount}" · "<span class="muted small">{c.expected_close.to_string()}</span></li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
                {move || adding.get().then(|| customer_name.get().map(|name| view! {
                    <OpportunityForm customer=Some((customer_id, name)) on_done=Callback::new(move |_| adding.set(false))/>
                }))}
            </ResourceView>
        </div>
    }
}

/// `/forecast`: by month and owner, weighted two ways, committed and best case against quota,
/// explainable, and past snapshots against what was won.
#[component]
pub fn ForecastPage() -> impl IntoView {
    let i18n = use_i18n();
    let changes = use_server_events().changes(Topic::Opportunity);
    let forecast = Resource::new(move || changes.get(), |_| get_forecast());
    let explaining = RwSignal::new(None::<(NaiveDate, Option<crate::auth::model::UserId>)>);
    let lines = Resource::new(
        move || explaining.get(),
        |cell| async move {
            match cell {
                Some((month, owner)) => explain_forecast(month, owner).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="page">
            <h1>{i18n.t(SalesText::Forecast)}</h1>
            <p class="muted">{move || fill(i18n.text(SalesText::ForecastHelp), &[("commit", &COMMIT_PROBABILITY)])}</p>
            <ResourceView resource=forecast let:forecast>
                <ForecastView forecast explaining/>
            </ResourceView>
            <Transition fallback=|| ()>
                {move || lines.get().and_then(Result::ok).flatten().map(|lines| view! {
                    <div class="card" data-testid="forecast-lines">
                        <h2>{i18n.t(SalesText::ExplainTitle)}</h2>
                        <Table columns=vec![
                            TableColumn::new(i18n.t(SalesText::Title)),
                            TableColumn::new(i18n.t(SalesText::Customer)),
                            TableColumn::new(i18n.t(SalesText::Amount)).numeric(),
                            TableColumn::new(i18n.t(SalesText::StageProbability)).numeric(),
                            TableColumn::new(i18n.t(SalesText::HistoricalProbability)).numeric(),
                            TableColumn::new(i18n.t(SalesText::Weighted)).numeric(),
                        ]>
                                {lines.into_iter().map(|l| view! {
                                    <tr>
                                        <td><A href=format!("/opportunities/{}", l.opportunity_id.0)>{l.title.clone()}</A></td>
                                        <td>{l.customer_name.clone()}</td>
                                        <td class="num">{money(l.amount_minor)}</td>
                                        <td class="num">{l.stage_probability}"%"</td>
                                        <td class="num">{l.historical_probability}"%"</td>
                                        <td class="num">{money(weighted(l.amount_minor, l.stage_probability))}</td>
                                    </tr>
                                }).collect_view()}
                        </Table>
                    </div>
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ForecastView(
    forecast: Forecast,
    explaining: RwSignal<Option<(NaiveDate, Option<crate::auth::model::UserId>)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    // Totals per month for the chart.
    let totals: Vec<(NaiveDate, ForecastCell)> = forecast
        .months
        .iter()
        .map(|month| {
            let mut total = ForecastCell { month: *month, ..Default::default() };
            for c in forecast.cells.iter().filter(|c| c.month == *month) {
                total.weighted_minor += c.weighted_minor;
                total.historical_minor += c.historical_minor;
                total.committed_minor += c.committed_minor;
                total.best_case_minor += c.best_case_minor;
                total.won_minor += c.won_minor;
                total.quota_minor += c.quota_minor;
            }
            (*month, total)
        })
        .collect();
    let max = totals
        .iter()
        .map(|(_, t)| t.best_case_minor.max(t.quota_minor).max(t.weighted_minor + t.won_minor))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let bar = |value: i64| (value as f64 / max * 160.0).max(0.0);
    // (label, colour, the value a bar shows).
    type Series = (SalesText, &'static str, fn(&ForecastCell) -> i64);
    let series: [Series; 5] = [
        (SalesText::Won, "#15803d", |c| c.won_minor),
        (SalesText::Committed, "#1e40af", |c| c.committed_minor),
        (SalesText::WeightedStage, "#6366f1", |c| c.weighted_minor + c.won_minor),
        (SalesText::WeightedHistory, "#0ea5e9", |c| c.historical_minor + c.won_minor),
        (SalesText::BestCase, "#cbd5e1", |c| c.best_case_minor),
    ];
    let width = 120.0 * totals.len() as f64 + 40.0;
    view! {
        <div class="card">
            <div class="legend">
                {series.iter().map(|(label, color, _)| {
                    let label = *label;
                    view! { <span class="legend-item"><crate::ui::ColorDot color=*color/>{move || label.text(i18n.locale())}</span> }
                }).collect_view()}
                <span class="legend-item"><span class="swatch quota-swatch"></span>{i18n.t(SalesText::Quota)}</span>
            </div>
            <svg class="forecast-chart" data-testid="forecast-chart" viewBox=format!("0 0 {width} 200") role="img"
                aria-label=move || i18n.text(SalesText::Forecast)>
                {totals.iter().enumerate().map(|(n, (month, total))| {
                    let x0 = 30.0 + n as f64 * 120.0;
                    let bars = series.iter().enumerate().map(|(k, (_, color, value))| {
                        let h = bar(value(total));
                        view! { <rect x=x0 + k as f64 * 16.0 y=170.0 - h width="14" height=h fill=*color><title>{money(value(total))}</title></rect> }
                    }).collect_view();
                    let quota = (total.quota_minor > 0).then(|| {
                        let y = 170.0 - bar(total.quota_minor);
                        view! { <line x1=x0 - 4.0 x2=x0 + 84.0 y1=y y2=y class="quota-line"/> }
                    });
                    view! {
                        <g>{bars}{quota}<text x=x0 y="190" class="axis">{format!("{}-{:02}", month.year(), month.month())}</text></g>
                    }
                }).collect_view()}
            </svg>
        </div>
        <div class="card">
            <Table testid="forecast-table" columns=vec![
                TableColumn::new(i18n.t(SalesText::Month)),
                TableColumn::new(i18n.t(SalesText::Owner)),
                TableColumn::new(i18n.t(SalesText::Won)).numeric(),
                TableColumn::new(i18n.t(SalesText::Committed)).numeric(),
                TableColumn::new(i18n.t(SalesText::WeightedStage)).numeric(),
                TableColumn::new(i18n.t(SalesText::WeightedHistory)).numeric(),
                TableColumn::new(i18n.t(SalesText::BestCase)).numeric(),
                TableColumn::new(i18n.t(SalesText::Quota)).numeric(),
                TableColumn::blank(),
            ]>
                    {forecast.cells.iter().map(|c| {
                        let (month, owner) = (c.month, c.owner_id);
                        view! {
                            <tr data-testid="forecast-row">
                                <td>{format!("{}-{:02}", c.month.year(), c.month.month())}</td>
                                <td>{c.owner_name.clone()}</td>
                                <td class="num" data-testid="forecast-won">{money(c.won_minor)}</td>
                                <td class="num">{money(c.committed_minor)}</td>
                                <td class="num" data-testid="forecast-weighted">{money(c.weighted_minor + c.won_minor)}</td>
                                <td class="num">{money(c.historical_minor + c.won_minor)}</td>
                                <td class="num">{money(c.best_case_minor)}</td>
                                <td class="num">{(c.quota_minor > 0).then(|| money(c.quota_minor))}</td>
                                <td><button type="button" class="button small ghost" on:click=move |_| explaining.set(Some((month, owner)))>{i18n.t(SalesText::Explain)}</button></td>
                            </tr>
                        }
                    }).collect_view()}
            </Table>
        </div>
        <div class="card">
            <h2>{i18n.t(SalesText::Accuracy)}</h2>
            {if forecast.accuracy.is_empty() {
                view! { <p class="muted small">{i18n.t(SalesText::NoSnapshots)}</p> }.into_any()
            } else {
                view! {
                    <Table testid="forecast-accuracy" columns=vec![
                        TableColumn::new(i18n.t(SalesText::Month)),
                        TableColumn::new(i18n.t(SalesText::SnapshotOf)),
                        TableColumn::new(i18n.t(SalesText::Forecast)).numeric(),
                        TableColumn::new(i18n.t(SalesText::Won)).numeric(),
                        TableColumn::new(i18n.t(SalesText::Accuracy)).numeric(),
                    ]>
                            {forecast.accuracy.iter().map(|a| view! {
                                <tr>
                                    <td>{format!("{}-{:02}", a.month.year(), a.month.month())}</td>
                                    <td>{a.taken_on.to_string()}</td>
                                    <td class="num">{money(a.forecast_minor)}</td>
                                    <td class="num">{money(a.won_minor)}</td>
                                    <td class="num">{a.percent().map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }).collect_view()}
                    </Table>
                }.into_any()
            }}
        </div>
    }
}

/// `/admin/pipelines`: the stages of each pipeline, in order, with probability and colour.
#[component]
pub fn PipelinesPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let version = RwSignal::new(0u32);
    let pipelines = Resource::new(move || version.get(), |_| list_pipelines());
    let is_admin = move || session.current().is_some_and(|u| u.role.includes(Role::Admin));
    view! {
        <section class="page">
            <h1>{i18n.t(SalesText::Pipelines)}</h1>
            <Show when=move || session.current().is_none() || is_admin()
                fallback=|| view! { <ErrorNotice error=AppError::Forbidden/> }>
                <ResourceView resource=pipelines let:list>
                    {list.into_iter().map(|p| view! { <PipelineEditor pipeline=p version/> }).collect_view()}
                </ResourceView>
            </Show>
        </section>
    }
}

#[component]
fn PipelineEditor(pipeline: Pipeline, version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let name_zh = RwSignal::new(pipeline.name_zh.clone());
    let name_en = RwSignal::new(pipeline.name_en.clone());
    let stages = RwSignal::new(
        pipeline
            .stages
            .iter()
            .map(|s| StageInput {
                id: Some(s.id),
                name_zh: s.name_zh.clone(),
                name_en: s.name_en.clone(),
                probability: s.probability,
                color: s.color.clone(),
                kind: s.kind,
            })
            .collect::<Vec<_>>(),
    );
    let (id, saved_version) = (pipeline.id, pipeline.version);
    let save =
        server_submission::<SavePipeline>().shows_fields_under("stages.").on_success(move |_| {
            toasts.success(SalesText::Saved);
            version.update(|v| *v += 1);
        });
    let failure = save.failure();
    let submit = move |_| {
        let input = PipelineInput {
            id: Some(id),
            version: saved_version,
            name_zh: name_zh.get_untracked(),
            name_en: name_en.get_untracked(),
            stages: stages.get_untracked(),
        };
        save.submit(SavePipeline { input });
    };
    let error_at = move |field: String| field_message(failure, field);
    view! {
        <div class="card form" data-testid="pipeline-editor">
            <div class="grid-2">
                <TextField label=i18n.t(SalesText::NameZh) name="pipeline_name_zh" value=name_zh error=save.field("name_zh")/>
                <TextField label=i18n.t(SalesText::NameEn) name="pipeline_name_en" value=name_en error=save.field("name_en")/>
            </div>
            {move || stages.get().into_iter().enumerate().map(|(n, s)| {
                let set = move |f: fn(&mut StageInput, String), v: String| stages.update(|list| if let Some(s) = list.get_mut(n) { f(s, v) });
                view! {
                    <div class="stage-row" data-testid="stage-row">
                        <span class="tier-position">{n + 1}</span>
                        <input type="color" aria-label=move || i18n.text(SalesText::Color) prop:value=s.color.clone() on:change=move |ev| set(|s, v| s.color = v, event_target_value(&ev))/>
                        <input type="text" name=format!("stage_zh_{n}") aria-label=move || i18n.text(SalesText::NameZh) prop:value=s.name_zh.clone() on:change=move |ev| set(|s, v| s.name_zh = v, event_target_value(&ev))/>
                        <input type="text" name=format!("stage_en_{n}") aria-label=move || i18n.text(SalesText::NameEn) prop:value=s.name_en.clone() on:change=move |ev| set(|s, v| s.name_en = v, event_target_value(&ev))/>
                        <input type="number" min="0" max="100" name=format!("stage_probability_{n}") aria-label=move || i18n.text(SalesText::Probability) prop:value=s.probability.to_string() on:change=move |ev| set(|s, v| s.probability = v.parse().unwrap_or(-1), event_target_value(&ev))/>
                        <select name=format!("stage_kind_{n}") aria-label=move || i18n.text(SalesText::StageKind) on:change=move |ev| set(|s, v| s.kind = StageKind::parse(&v).unwrap_or_default(), event_target_value(&ev))>
                            {StageKind::ALL.iter().map(|k| {
                                let label = match k { StageKind::Open => SalesText::KindOpen, StageKind::Won => SalesText::KindWon, StageKind::Lost => SalesText::KindLost };
                                view! { <option value=k.as_str() selected=*k == s.kind>{move || label.text(i18n.locale())}</option> }
                            }).collect_view()}
                        </select>
                        <button type="button" class="button small ghost" disabled=n == 0 on:click=move |_| stages.update(|l| l.swap(n, n - 1))>{i18n.t(SalesText::MoveUp)}</button>
                        <button type="button" class="button small ghost" on:click=move |_| stages.update(|l| { l.remove(n); })>{i18n.t(SalesText::Remove)}</button>
                        <span class="field-error">{move || error_at(format!("stages.{n}.probability")).get().or_else(|| error_at(format!("stages.{n}.name_zh")).get())}</span>
                    </div>
                }
            }).collect_view()}
            <span class="field-error">{save.field("stages")}</span>
            <div class="actions">
                <button type="button" class="button small" on:click=move |_| stages.update(|l| {
                    let at = l.iter().position(|s| s.kind != StageKind::Open).unwrap_or(l.len());
                    l.insert(at, StageInput { id: None, name_zh: "新阶段".into(), name_en: "New stage".into(), probability: 50, color: "#2563eb".into(), kind: StageKind::Open });
                })>{i18n.t(SalesText::AddStage)}</button>
                <button type="button" class="button primary" disabled=move || save.pending().get() on:click=submit>{i18n.t(CommonText::Save)}</button>
            </div>
        </div>
    }
}

/// `/quotas`: a year of monthly quotas for everyone in the manager's scope. Each cell saves when
/// left, from the version it was read at, so two managers never silently overwrite each other.
#[component]
pub fn QuotasPage() -> impl IntoView {
    let i18n = use_i18n();
    let year = RwSignal::new(None::<i32>);
    let reloads = RwSignal::new(0u32);
    let grid = Resource::new(move || (year.get(), reloads.get()), |(year, _)| get_quotas(year));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(SalesText::Quotas)}</h1>
            </div>
            <ResourceView resource=grid let:g>
                {
                    let shown = g.year;
                    let locale_months = g.months.clone();
                    view! {
                        <div class="actions year-switch">
                            <button type="button" class="button small" data-testid="previous-year"
                                on:click=move |_| year.set(Some(shown - 1))>"‹ "{shown - 1}</button>
                            <strong data-testid="quota-year">{shown}</strong>
                            <button type="button" class="button small" data-testid="next-year"
                                on:click=move |_| year.set(Some(shown + 1))>{shown + 1}" ›"</button>
                        </div>
                        <p class="hint">{i18n.t(SalesText::QuotasHelp)}</p>
                        <div class="table-wrap">
                            <table class="table quota-grid" data-testid="quota-grid">
                                <thead>
                                    <tr>
                                        <th scope="col">{i18n.t(SalesText::Owner)}</th>
                                        {locale_months.iter().map(|m| {
                                            let m = *m;
                                            view! { <th scope="col" class="num">{move || month_name(m, i18n.locale())}</th> }
                                        }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {g.rows.iter().map(|row| view! {
                                        <tr data-testid="quota-row" data-owner=row.owner_name.clone()>
                                            <th scope="row">
                                                {row.owner_name.clone()}
                                                <span class="muted small">" "{row.team_name.clone().unwrap_or_default()}</span>
                                            </th>
                                            {row.cells.iter().cloned().map(|cell| view! {
                                                <td><QuotaInput owner=row.owner_id owner_name=row.owner_name.clone() cell
                                                    on_conflict=Callback::new(move |_| reloads.update(|n| *n += 1))/></td>
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                }
            </ResourceView>
        </section>
    }
}

/// "3月" or "Mar".
fn month_name(month: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::ZhCn => format!("{}月", month.month()),
        Locale::En => month.format("%b").to_string(),
    }
}

/// One quota cell: saved when changed, marked saved, its error under it. Refused because
/// someone saved it first, the grid reloads to show theirs (the toast says who).
#[component]
fn QuotaInput(
    owner: crate::auth::model::UserId,
    owner_name: String,
    cell: QuotaCell,
    on_conflict: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let month = cell.month;
    let value = RwSignal::new(
        cell.amount_minor.map(crate::customers::model::money_text).unwrap_or_default(),
    );
    let version = RwSignal::new(cell.version);
    let saved = RwSignal::new(false);
    let save = server_submission::<SaveQuota>().on_success(move |cell: QuotaCell| {
        version.set(cell.version);
        saved.set(true);
    });
    let failure = save.failure();
    // A bad amount stays in the cell with its message; a quota someone saved first reloads.
    Effect::new(move |_| {
        if failure
            .with(|f| matches!(f, Some(AppError::ChangedMeanwhile { .. } | AppError::Conflict)))
        {
            on_conflict.run(());
        }
    });
    let label = move || format!("{} · {}", owner_name, month_name(month, i18n.locale()));
    view! {
        <input type="text" inputmode="decimal" class="quota-input" class:saved=move || saved.get()
            aria-label=label prop:value=move || value.get()
            on:input=move |ev| { value.set(event_target_value(&ev)); saved.set(false); }
            on:change=move |_| save.submit(SaveQuota {
                owner_id: owner,
                month,
                amount: value.get_untracked(),
                version: version.get_untracked(),
            })/>
        <span class="field-error small">{save.field("amount")}</span>
    }
}
