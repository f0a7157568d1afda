//! `/`: the dashboard. Each tile loads on its own (a slow one never holds the others back) and
//! its heading opens the list behind it; "Arrange tiles" reorders and hides them for this user.

use super::{
    api::{SaveDashboardLayout, get_dashboard_layout, get_dashboard_tile},
    model::{
        DashboardLayout, Target, Tile, TileBar, TileData, TileId, TileItem, TileKind,
        revenue_report_href,
    },
    report_tile::ReportTileCard,
};
use crate::{
    auth::views::{role_label, scope_label, use_auth_session},
    i18n::{CommonText, DashboardText, I18n, Locale, Text, fill, use_i18n},
    reports::model::{SalesFigures, compact_money},
    reports::saved::api::DeleteSavedReport,
    ui::{
        ColorDot, ConfirmDialog, FillBar, ResourceView, Timestamp, server_submission, use_toasts,
    },
};
use leptos::prelude::*;
use leptos_router::components::A;

fn tile_title(kind: TileKind) -> DashboardText {
    match kind {
        TileKind::MyTasks => DashboardText::MyTasks,
        TileKind::OpenPipeline => DashboardText::OpenPipeline,
        TileKind::TicketsNearBreach => DashboardText::TicketsNearBreach,
        TileKind::TurnedSilent => DashboardText::TurnedSilent,
        TileKind::LeadsWaiting => DashboardText::LeadsWaiting,
        TileKind::ForecastVsQuota => DashboardText::ForecastVsQuota,
        TileKind::WonByRep => DashboardText::WonByRep,
        TileKind::SlaAttainment => DashboardText::SlaAttainment,
        TileKind::TierDrops => DashboardText::TierDrops,
        TileKind::Revenue => DashboardText::Revenue,
        TileKind::CustomerGains => DashboardText::CustomerGains,
        TileKind::TierShare => DashboardText::TierShare,
        TileKind::JobHealth => DashboardText::JobHealth,
    }
}

/// Where a tile's heading leads: the list or report its figures come from.
fn tile_href(data: &TileData) -> String {
    match data {
        TileData::Items { href, .. } | TileData::Bars { href, .. } => href.clone(),
        TileData::Tasks { .. } => "/tasks".into(),
        TileData::Forecast { .. } => "/forecast".into(),
        TileData::Sla { .. } => "/service".into(),
        TileData::Revenue { from, to, .. } => revenue_report_href(*from, *to),
        TileData::Customers { .. } => "/customers".into(),
        TileData::Jobs { .. } => "/jobs".into(),
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let layout = Resource::new(|| (), |_| get_dashboard_layout());
    let arranging = RwSignal::new(false);
    view! {
        <section class="page dashboard">
            {move || session.current().map(|user| {
                let name = user.display_name.clone();
                view! {
                    <div class="page-head">
                        <div>
                            <h1 data-testid="welcome">{move || fill(i18n.text(CommonText::Welcome), &[("name", &name)])}</h1>
                            <p class="muted">
                                {i18n.t(role_label(user.role))}
                                " · "
                                {i18n.t(scope_label(user.scope))}
                            </p>
                        </div>
                        <div class="actions">
                            <button type="button" class="button" data-testid="arrange-tiles"
                                aria-pressed=move || arranging.get().to_string()
                                on:click=move |_| arranging.update(|on| *on = !*on)>
                                {i18n.t(DashboardText::Arrange)}
                            </button>
                        </div>
                    </div>
                }
            })}
            <ResourceView resource=layout children=move |saved: DashboardLayout| {
                let saved_for_tiles = saved.clone();
                view! {
                    <Show when=move || arranging.get()>
                        <ArrangeTiles saved=saved.clone() arranging layout/>
                    </Show>
                    <Tiles layout=saved_for_tiles/>
                }
            }/>
        </section>
    }
}

#[component]
fn Tiles(layout: DashboardLayout) -> impl IntoView {
    let i18n = use_i18n();
    if layout.shown.is_empty() {
        return view! { <p class="muted" data-testid="no-tiles">{i18n.t(DashboardText::NoTiles)}</p> }
            .into_any();
    }
    view! {
        <div class="tiles" data-testid="tiles">
            {layout.shown.into_iter().map(|tile| match tile {
                TileId::Built(kind) => view! { <TileCard kind/> }.into_any(),
                TileId::Report(id) => view! { <ReportTileCard id/> }.into_any(),
            }).collect_view()}
        </div>
    }
    .into_any()
}

/// The editor of the caller's tile order: the shown tiles with arrows and "hide", the hidden
/// ones with "show", saved reports with "delete". Saving replaces the dashboard below it.
#[component]
fn ArrangeTiles(
    saved: DashboardLayout,
    arranging: RwSignal<bool>,
    layout: Resource<Result<DashboardLayout, crate::error::AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let shown = RwSignal::new(saved.shown.clone());
    let offered: Vec<TileId> = saved.shown.iter().chain(&saved.hidden).copied().collect();
    let version = saved.version;
    let titles = StoredValue::new(saved.clone());
    // A tile's name: the built-in tile's, or the title its owner gave a saved report.
    let name = move |tile: TileId| match tile {
        TileId::Built(kind) => i18n.text(tile_title(kind)).to_owned(),
        TileId::Report(id) => titles.with_value(|layout| {
            layout.report(id).map(|report| report.title.clone()).unwrap_or_default()
        }),
    };
    let save = server_submission::<SaveDashboardLayout>().on_success(move |_| {
        toasts.success(DashboardText::Saved);
        arranging.set(false);
        layout.refetch();
    });
    // Deleting a saved report saves nothing else: the editor closes and the dashboard is read
    // again as it now stands.
    let delete = server_submission::<DeleteSavedReport>().on_success(move |_| {
        toasts.success(DashboardText::ReportDeleted);
        arranging.set(false);
        layout.refetch();
    });
    let deleting = RwSignal::new(None::<i64>);
    let confirming = RwSignal::new(false);
    let move_by = move |tile: TileId, step: isize| {
        shown.update(|list| {
            if let Some(at) = list.iter().position(|t| *t == tile) {
                let to = at as isize + step;
                if (0..list.len() as isize).contains(&to) {
                    list.swap(at, to as usize);
                }
            }
        })
    };
    let delete_button = move |tile: TileId| match tile {
        TileId::Report(id) => Some(view! {
            <button type="button" class="button small danger" data-testid="tile-delete"
                on:click=move |_| {
                    deleting.set(Some(id));
                    confirming.set(true);
                }>
                {i18n.t(DashboardText::DeleteReport)}
            </button>
        }),
        TileId::Built(_) => None,
    };
    let hidden = move || {
        let now = shown.get();
        offered.iter().copied().filter(|tile| !now.contains(tile)).collect::<Vec<_>>()
    };
    view! {
        <div class="card arrange" data-testid="arrange">
            <p class="muted">{i18n.t(DashboardText::ArrangeIntro)}</p>
            <ol class="arrange-list">
                <For each=move || shown.get() key=|tile| *tile let:tile>
                    <li data-testid=format!("arrange-{}", tile.key())>
                        <span class="arrange-name">{move || name(tile)}</span>
                        <button type="button" class="button small" aria-label=move || format!("{} {}", i18n.text(DashboardText::MoveUp), name(tile))
                            data-testid="tile-up" on:click=move |_| move_by(tile, -1)>"↑"</button>
                        <button type="button" class="button small" aria-label=move || format!("{} {}", i18n.text(DashboardText::MoveDown), name(tile))
                            data-testid="tile-down" on:click=move |_| move_by(tile, 1)>"↓"</button>
                        <button type="button" class="button small" data-testid="tile-hide"
                            on:click=move |_| shown.update(|list| list.retain(|t| *t != tile))>
                            {i18n.t(DashboardText::Hide)}
                        </button>
                        {delete_button(tile)}
                    </li>
                </For>
            </ol>
            <h2>{i18n.t(DashboardText::Hidden)}</h2>
            <Show when={let hidden = hidden.clone(); move || !hidden().is_empty()}
                fallback=move || view! { <p class="muted">{i18n.t(DashboardText::NothingHidden)}</p> }>
                <ul class="arrange-list">
                    <For each=hidden.clone() key=|tile| *tile let:tile>
                        <li data-testid=format!("hidden-{}", tile.key())>
                            <span class="arrange-name">{move || name(tile)}</span>
                            <button type="button" class="button small" data-testid="tile-show"
                                on:click=move |_| shown.update(|list| list.push(tile))>
                                {i18n.t(DashboardText::Show)}
                            </button>
                            {delete_button(tile)}
                        </li>
                    </For>
                </ul>
            </Show>
            <div class="actions">
                <button type="button" class="button" on:click=move |_| arranging.set(false)>
                    {i18n.t(CommonText::Cancel)}
                </button>
                <button type="button" class="button primary" data-testid="save-tiles"
                    disabled=move || save.pending().get()
                    on:click=move |_| save.submit(SaveDashboardLayout { tiles: shown.get_untracked(), version })>
                    {i18n.t(CommonText::Save)}
                </button>
            </div>
            <ConfirmDialog open=confirming title=i18n.t(DashboardText::DeleteReportTitle)
                message=move || {
                    let title = deleting.get().map(|id| name(TileId::Report(id))).unwrap_or_default();
                    fill(i18n.text(DashboardText::DeleteReportConfirm), &[("title", &title)])
                }
                confirm=i18n.t(DashboardText::DeleteReport)
                on_confirm=Callback::new(move |_| {
                    if let Some(id) = deleting.get_untracked() {
                        delete.submit(DeleteSavedReport { id });
                    }
                })
                testid="delete-report-dialog"/>
        </div>
    }
}

/// One tile: its heading (a link to the list behind it) and its figures, loaded on its own.
#[component]
fn TileCard(kind: TileKind) -> impl IntoView {
    let i18n = use_i18n();
    let tile = Resource::new(move || kind, get_dashboard_tile);
    view! {
        <article class="card tile" data-testid=format!("tile-{}", kind.as_str())>
            <ResourceView resource=tile children=move |tile: Tile| {
                let href = tile_href(&tile.data);
                view! {
                    <h2 class="tile-title"><A href=href>{i18n.t(tile_title(tile.kind))}</A></h2>
                    {tile_body(tile.kind, tile.data, i18n)}
                }
            }/>
        </article>
    }
}

fn tile_body(kind: TileKind, data: TileData, i18n: I18n) -> AnyView {
    match data {
        TileData::Items { count, items, .. } => view! {
            <p class="tile-figure" data-testid="tile-count">{count}</p>
            {item_list(items, i18n)}
        }
        .into_any(),
        TileData::Tasks { overdue, due_today, items } => view! {
            <dl class="tile-figures">
                <div class:alert={overdue > 0}>
                    <dt>{i18n.t(DashboardText::Overdue)}</dt>
                    <dd data-testid="tile-overdue">{overdue}</dd>
                </div>
                <div>
                    <dt>{i18n.t(DashboardText::DueToday)}</dt>
                    <dd data-testid="tile-due-today">{due_today}</dd>
                </div>
            </dl>
            {item_list(items, i18n)}
        }
        .into_any(),
        TileData::Bars { bars, .. } => {
            let none =
                if kind == TileKind::TierShare { DashboardText::NoTier } else { DashboardText::NoOwner };
            bar_list(bars, none, i18n)
        }
        TileData::Forecast { month, quarter, .. } => view! {
            {target_row(DashboardText::ThisMonth, month, "month", i18n)}
            {target_row(DashboardText::ThisQuarter, quarter, "quarter", i18n)}
        }
        .into_any(),
        TileData::Sla { due, met, breached_open } => {
            let percent = (due > 0).then(|| met * 100 / due);
            view! {
                <p class="tile-figure" data-testid="tile-sla">
                    {match percent { Some(p) => format!("{p}%"), None => "—".into() }}
                </p>
                {percent.map(|p| view! { <FillBar percent=p/> })}
                <p class="muted">{move || fill(i18n.text(DashboardText::DueTickets), &[("count", &due)])}</p>
                <p class:alert={breached_open > 0}>
                    {move || fill(i18n.text(DashboardText::LateOpen), &[("count", &breached_open)])}
                </p>
            }
            .into_any()
        }
        TileData::Revenue { this_month, last_month, last_year, .. } => view! {
            <p class="tile-figure" data-testid="tile-revenue-total">{move || compact_money(this_month.revenue_minor, i18n.locale())}</p>
            <p class="muted">{move || fill(i18n.text(DashboardText::Orders), &[("count", &this_month.orders)])}</p>
            {change_line(DashboardText::AgainstLastMonth, this_month, last_month, i18n)}
            {change_line(DashboardText::AgainstLastYear, this_month, last_year, i18n)}
        }
        .into_any(),
        TileData::Customers { added, lost, .. } => view! {
            <dl class="tile-figures">
                <div>
                    <dt>{i18n.t(DashboardText::Added)}</dt>
                    <dd data-testid="tile-added">{added}</dd>
                </div>
                <div class:alert={lost > 0}>
                    <dt>{i18n.t(DashboardText::Lost)}</dt>
                    <dd data-testid="tile-lost">{lost}</dd>
                </div>
            </dl>
        }
        .into_any(),
        TileData::Jobs { running, queued, failed_this_week, last_failure } => view! {
            <dl class="tile-figures">
                <div>
                    <dt>{i18n.t(DashboardText::Running)}</dt>
                    <dd>{running}</dd>
                </div>
                <div>
                    <dt>{i18n.t(DashboardText::Queued)}</dt>
                    <dd>{queued}</dd>
                </div>
                <div class:alert={failed_this_week > 0}>
                    <dt>{i18n.t(DashboardText::FailedThisWeek)}</dt>
                    <dd data-testid="tile-failed">{failed_this_week}</dd>
                </div>
            </dl>
            {last_failure.map(|failure| {
                let kind = failure.label.clone();
                let label = move || crate::jobs::views::kind_label(&kind)
                    .map(|k| i18n.text(k).to_owned())
                    .unwrap_or_else(|| kind.clone());
                view! {
                    <p class="muted small">{i18n.t(DashboardText::LastFailure)}": " {label}
                        " " {failure.at.map(|at| view! { <Timestamp at/> })}</p>
                    <p class="small">{move || failure.detail(i18n.locale()).to_owned()}</p>
                }
            })}
        }
        .into_any(),
    }
}

fn item_list(items: Vec<TileItem>, i18n: I18n) -> AnyView {
    if items.is_empty() {
        return view! { <p class="muted">{i18n.t(DashboardText::NothingHere)}</p> }.into_any();
    }
    view! {
        <ul class="tile-items">
            {items.into_iter().map(|item| {
                let detail = item.clone();
                view! {
                    <li data-testid="tile-item">
                        <A href=item.href.clone()>{item.label.clone()}</A>
                        <span class="muted">{move || detail.detail(i18n.locale()).to_owned()}</span>
                        {item.at.map(|at| view! { <span class="muted small"><Timestamp at/></span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn bar_name(bar: &TileBar, none: DashboardText, locale: Locale) -> String {
    let name = match locale {
        Locale::ZhCn => &bar.name_zh,
        Locale::En => &bar.name_en,
    };
    if !name.is_empty() {
        return name.clone();
    }
    // A bar without a name is the "none" group: customers without a tier, deals without an owner.
    none.text(locale).to_owned()
}

/// Named amounts as rows: a name (with its colour), a bar for its share of the largest, the
/// count and the amount. Each row opens the records behind it.
fn bar_list(bars: Vec<TileBar>, none: DashboardText, i18n: I18n) -> AnyView {
    if bars.is_empty() {
        return view! { <p class="muted">{i18n.t(DashboardText::NothingHere)}</p> }.into_any();
    }
    let by_amount = bars.iter().any(|b| b.amount_minor != 0);
    let measure = move |bar: &TileBar| if by_amount { bar.amount_minor } else { bar.count };
    let largest = bars.iter().map(measure).max().unwrap_or(0).max(1);
    view! {
        <ul class="tile-bars">
            {bars.into_iter().map(|bar| {
                let percent = measure(&bar) * 100 / largest;
                let named = bar.clone();
                let (count, amount) = (bar.count, bar.amount_minor);
                view! {
                    <li data-testid="tile-bar">
                        <A href=bar.href.clone()>
                            <span class="tile-bar-name">
                                {bar.color.clone().map(|color| view! { <ColorDot color/> })}
                                {move || bar_name(&named, none, i18n.locale())}
                            </span>
                            <FillBar percent/>
                            <span class="tile-bar-value">
                                {count}
                                {by_amount.then(|| view! { " · " {move || compact_money(amount, i18n.locale())} })}
                            </span>
                        </A>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn target_row(
    period: DashboardText,
    target: Target,
    testid: &'static str,
    i18n: I18n,
) -> impl IntoView {
    let percent = target.expected_percent();
    view! {
        <div class="tile-target" data-testid=format!("tile-target-{testid}")>
            <h3>{i18n.t(period)}</h3>
            <dl class="tile-figures">
                <div>
                    <dt>{i18n.t(DashboardText::Won)}</dt>
                    <dd data-testid="won">{move || compact_money(target.won_minor, i18n.locale())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(DashboardText::Weighted)}</dt>
                    <dd data-testid="weighted">{move || compact_money(target.weighted_minor, i18n.locale())}</dd>
                </div>
                <div>
                    <dt>{i18n.t(DashboardText::Quota)}</dt>
                    <dd data-testid="quota">{move || compact_money(target.quota_minor, i18n.locale())}</dd>
                </div>
            </dl>
            {match percent {
                Some(p) => view! {
                    <FillBar percent=p/>
                    <p class="muted small">{move || fill(i18n.text(DashboardText::OfQuota), &[("percent", &p)])}</p>
                }.into_any(),
                None => view! { <p class="muted small">{i18n.t(DashboardText::NoQuota)}</p> }.into_any(),
            }}
        </div>
    }
}

fn change_line(
    against: DashboardText,
    now: SalesFigures,
    before: SalesFigures,
    i18n: I18n,
) -> impl IntoView {
    let change = now.change_percent(before);
    view! {
        <p class="small">
            {i18n.t(against)}": "
            {match change {
                Some(p) => view! {
                    <span class:up={p >= 0.0} class:down={p < 0.0}>{format!("{p:+.1}%")}</span>
                    " (" {move || compact_money(before.revenue_minor, i18n.locale())} ")"
                }.into_any(),
                None => view! { <span class="muted">{i18n.t(DashboardText::NoComparison)}</span> }.into_any(),
            }}
        </p>
    }
}
