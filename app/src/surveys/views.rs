//! The survey list and builder, sending and results, and the public answer page.

use super::{api::*, model::*};
use crate::{
    auth::{model::Role, views::use_auth_session},
    customers::model::CustomerId,
    error::AppError,
    events::{Topic, use_server_events},
    i18n::{CommonText, Locale, SurveyText, Text, TicketText, error_text, fill, use_i18n},
    ui::{
        CheckboxField, Column, EnumSelect, Loading, ResourceView, SelectField, Submission, Table,
        TextField, Timestamp, ToastKind, field_message, server_submission, use_toasts,
    },
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};

fn kind_label(kind: QuestionKind) -> SurveyText {
    match kind {
        QuestionKind::Csat => SurveyText::KindCsat,
        QuestionKind::Nps => SurveyText::KindNps,
        QuestionKind::Single => SurveyText::KindSingle,
        QuestionKind::Multiple => SurveyText::KindMultiple,
        QuestionKind::Text => SurveyText::KindText,
    }
}

fn recipient_status(status: &str) -> SurveyText {
    match status {
        "sent" => SurveyText::RecipientSent,
        "failed" => SurveyText::RecipientFailed,
        "answered" => SurveyText::RecipientAnswered,
        _ => SurveyText::RecipientQueued,
    }
}

fn percent(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "—".into())
}

fn score(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into())
}

/// `/surveys`: every survey, and the builder for a new one (managers).
#[component]
pub fn SurveysPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let changes = use_server_events().changes(Topic::Survey);
    let local = RwSignal::new(0u32);
    let creating = RwSignal::new(false);
    let surveys = Resource::new(move || (changes.get(), local.get()), |_| list_surveys());
    let is_manager = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{i18n.t(SurveyText::Surveys)}</h1>
                <Show when=is_manager>
                    <button type="button" class="button primary" on:click=move |_| creating.update(|c| *c = !*c)>{i18n.t(SurveyText::NewSurvey)}</button>
                </Show>
            </div>
            <Show when=move || creating.get()>
                <SurveyBuilder survey=new_survey() on_done=Callback::new(move |_| { creating.set(false); local.update(|v| *v += 1); })/>
            </Show>
            <ResourceView resource=surveys let:list>
                            <Table testid="surveys" columns=vec![
                                Column::new(i18n.t(SurveyText::NameZh)),
                                Column::new(i18n.t(SurveyText::SentCount)).numeric(),
                                Column::new(i18n.t(SurveyText::AnsweredCount)).numeric(),
                                Column::blank(),
                            ]>
                                    {list.into_iter().map(|s| {
                                        let (zh, en) = (s.name_zh.clone(), s.name_en.clone());
                                        view! {
                                            <tr>
                                                <td><A href=format!("/surveys/{}", s.id)>{move || if i18n.locale() == Locale::ZhCn { zh.clone() } else { en.clone() }}</A></td>
                                                <td class="num">{s.sent}</td>
                                                <td class="num">{s.answered}</td>
                                                <td>{s.send_on_ticket_resolved.then(|| view! { <span class="badge">{i18n.t(SurveyText::AutoBadge)}</span> })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                            </Table>
            </ResourceView>
        </section>
    }
}

fn new_survey() -> Survey {
    Survey {
        link_valid_days: 14,
        questions: vec![Question {
            kind: QuestionKind::Csat,
            required: true,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Choices as the builder edits them: one per line, "中文 | English".
fn choices_text(options: &[Choice]) -> String {
    options.iter().map(|c| format!("{} | {}", c.zh, c.en)).collect::<Vec<_>>().join("\n")
}

fn parse_choices(text: &str) -> Vec<Choice> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once('|') {
            Some((zh, en)) => Choice { zh: zh.trim().to_owned(), en: en.trim().to_owned() },
            None => Choice { zh: l.trim().to_owned(), en: l.trim().to_owned() },
        })
        .collect()
}

/// The survey builder: names, introductions and questions in both languages.
#[component]
fn SurveyBuilder(survey: Survey, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let id = survey.id;
    let version = survey.version;
    let name_zh = RwSignal::new(survey.name_zh.clone());
    let name_en = RwSignal::new(survey.name_en.clone());
    let intro_zh = RwSignal::new(survey.intro_zh.clone());
    let intro_en = RwSignal::new(survey.intro_en.clone());
    let on_resolved = RwSignal::new(survey.send_on_ticket_resolved);
    let valid_days = RwSignal::new(survey.link_valid_days.to_string());
    // (kind, text zh, text en, choices text, required)
    let questions = RwSignal::new(
        survey
            .questions
            .iter()
            .map(|q| {
                (q.kind, q.text_zh.clone(), q.text_en.clone(), choices_text(&q.options), q.required)
            })
            .collect::<Vec<_>>(),
    );
    let save = server_submission::<SaveSurvey>().shows_fields_under("q").on_success(move |_| {
        toasts.success(SurveyText::Saved);
        on_done.run(());
    });
    let failure = save.failure();
    let submit = move |_| {
        let survey = Survey {
            id,
            name_zh: name_zh.get_untracked(),
            name_en: name_en.get_untracked(),
            intro_zh: intro_zh.get_untracked(),
            intro_en: intro_en.get_untracked(),
            send_on_ticket_resolved: on_resolved.get_untracked(),
            link_valid_days: valid_days.get_untracked().trim().parse().unwrap_or(0),
            version,
            questions: questions
                .get_untracked()
                .into_iter()
                .map(|(kind, text_zh, text_en, choices, required)| Question {
                    kind,
                    text_zh,
                    text_en,
                    options: if matches!(kind, QuestionKind::Single | QuestionKind::Multiple) {
                        parse_choices(&choices)
                    } else {
                        Vec::new()
                    },
                    required,
                })
                .collect(),
        };
        save.submit(SaveSurvey { survey });
    };
    view! {
        <div class="card form panel" data-testid="survey-builder">
            <div class="grid-2">
                <TextField label=i18n.t(SurveyText::NameZh) name="name_zh" value=name_zh error=save.field("name_zh")/>
                <TextField label=i18n.t(SurveyText::NameEn) name="name_en" value=name_en error=save.field("name_en")/>
                <TextField label=i18n.t(SurveyText::IntroZh) name="intro_zh" value=intro_zh error=save.field("intro_zh")/>
                <TextField label=i18n.t(SurveyText::IntroEn) name="intro_en" value=intro_en error=save.field("intro_en")/>
                <TextField label=i18n.t(SurveyText::LinkValidDays) name="link_valid_days" input_type="number" value=valid_days error=save.field("link_valid_days")/>
                <CheckboxField label=i18n.t(SurveyText::SendOnResolved) name="send_on_resolved" checked=on_resolved/>
            </div>
            <h3>{i18n.t(SurveyText::Questions)}</h3>
            <span class="field-error">{save.field("questions")}</span>
            {move || questions.get().into_iter().enumerate().map(|(n, (kind, zh, en, choices, required))| {
                let kind_value = RwSignal::new(kind);
                Effect::new(move |_| {
                    let chosen = kind_value.get();
                    if questions.with_untracked(|q| q.get(n).is_some_and(|q| q.0 != chosen)) {
                        questions.update(|q| q[n].0 = chosen);
                    }
                });
                view! {
                    <fieldset class="question" data-testid="question">
                        <legend>{n + 1}</legend>
                        <EnumSelect label=i18n.t(SurveyText::QuestionKind) name=format!("q{n}_kind") value=kind_value text=kind_label/>
                        <div class="field">
                            <label>{i18n.t(SurveyText::TextZh)}</label>
                            <input name=format!("q{n}_text_zh") prop:value=zh on:change=move |ev| questions.update(|q| q[n].1 = event_target_value(&ev))/>
                            <span class="field-error">{field_message(failure, format!("q{n}.text_zh"))}</span>
                        </div>
                        <div class="field">
                            <label>{i18n.t(SurveyText::TextEn)}</label>
                            <input name=format!("q{n}_text_en") prop:value=en on:change=move |ev| questions.update(|q| q[n].2 = event_target_value(&ev))/>
                            <span class="field-error">{field_message(failure, format!("q{n}.text_en"))}</span>
                        </div>
                        {matches!(kind, QuestionKind::Single | QuestionKind::Multiple).then(|| view! {
                            <div class="field">
                                <label>{i18n.t(SurveyText::OptionsHelp)}</label>
                                <textarea name=format!("q{n}_options") rows="3" prop:value=choices on:change=move |ev| questions.update(|q| q[n].3 = event_target_value(&ev))></textarea>
                                <span class="field-error">{field_message(failure, format!("q{n}.options"))}</span>
                            </div>
                        })}
                        <label class="field-checkbox">
                            <input type="checkbox" prop:checked=required on:change=move |ev| questions.update(|q| q[n].4 = event_target_checked(&ev))/>
                            <span>{i18n.t(SurveyText::Required)}</span>
                        </label>
                        <button type="button" class="button small ghost" on:click=move |_| questions.update(|q| { q.remove(n); })>{i18n.t(SurveyText::RemoveQuestion)}</button>
                    </fieldset>
                }
            }).collect_view()}
            <div class="actions">
                <button type="button" class="button" on:click=move |_| questions.update(|q| q.push((QuestionKind::Text, String::new(), String::new(), String::new(), false)))>{i18n.t(SurveyText::AddQuestion)}</button>
                <button type="button" class="button primary" disabled=move || save.pending().get() on:click=submit>{i18n.t(CommonText::Save)}</button>
            </div>
        </div>
    }
}

/// `/surveys/:id`: send it, follow the sending, and read the results.
#[component]
pub fn SurveyPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_auth_session();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok())));
    let changes = use_server_events().changes(Topic::Survey);
    let local = RwSignal::new(0u32);
    let editing = RwSignal::new(false);
    let is_manager = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let survey = Resource::new(
        move || (id.get(), local.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_survey(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <section class="page survey-page">
            <ResourceView resource=survey let:s>
                {
                        let for_edit = s.clone();
                        view! {
                            <div class="page-head">
                                <h1 data-testid="survey-name">{let s = s.clone(); move || s.name(i18n.locale()).to_owned()}</h1>
                                <div class="actions">
                                    <crate::exports::views::ExportLinks entity=crate::exports::model::ExportEntity::SurveyAnswers
                                        filter=Signal::derive(move || id.get().map(|id| serde_json::json!({ "survey_id": id })))/>
                                    <Show when=is_manager>
                                        <button type="button" class="button" on:click=move |_| editing.update(|e| *e = !*e)>{i18n.t(SurveyText::Edit)}</button>
                                    </Show>
                                </div>
                            </div>
                            {move || editing.get().then(|| view! {
                                <SurveyBuilder survey=for_edit.clone() on_done=Callback::new(move |_| { editing.set(false); local.update(|v| *v += 1); })/>
                            })}
                        }
                }
            </ResourceView>
            // Outside the transition: the send panel has resources of its own.
            {move || id.get().map(|survey_id| view! { <SendPanel survey_id/> })}
            {move || (is_manager() && id.get().is_some()).then(|| view! { <Results id=id.get().unwrap_or_default() changes/> })}
        </section>
    }
}

#[component]
fn SendPanel(survey_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = use_toasts();
    let session = use_auth_session();
    let target = RwSignal::new("customer".to_owned());
    let chosen = RwSignal::new(None::<(CustomerId, String)>);
    let segment = RwSignal::new(String::new());
    let segments = Resource::new(|| (), |_| crate::tiers::api::list_segments());
    let is_manager = move || session.current().is_some_and(|u| u.role.includes(Role::Manager));
    let targets = Signal::derive(move || {
        let mut list = vec![("customer".to_owned(), i18n.text(SurveyText::ToCustomer).to_owned())];
        if is_manager() {
            list.push(("segment".to_owned(), i18n.text(SurveyText::ToSegment).to_owned()));
        }
        list
    });
    let segment_options = Signal::derive(move || {
        let mut list = vec![(String::new(), "—".to_owned())];
        list.extend(
            segments
                .get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .map(|s| (s.id.to_string(), s.name)),
        );
        list
    });
    // No target chosen fails here, at the same field the server would name.
    let sending = Submission::new(move |target: &Option<SendTarget>| {
        let target = target.clone();
        async move {
            let target = target.ok_or_else(|| {
                AppError::validation("target", crate::error::FieldError::Required)
            })?;
            send_survey(survey_id, target).await
        }
    })
    .on_success(move |outcome| {
        toasts.show(ToastKind::Success, move |l| {
            fill(
                SurveyText::Queued.text(l),
                &[("n", &outcome.recipients), ("skipped", &outcome.skipped_without_email)],
            )
        });
    });
    let send = move |_| {
        sending.submit(if target.get_untracked() == "segment" {
            segment.get_untracked().parse().ok().map(SendTarget::Segment)
        } else {
            chosen.get_untracked().map(|(id, _)| SendTarget::Customer(id))
        });
    };
    view! {
        <div class="card form" data-testid="send-panel">
            <h2>{i18n.t(SurveyText::Send)}</h2>
            <SelectField label=i18n.t(SurveyText::SendTo) name="target" value=target options=targets/>
            // The picker has a resource of its own, so it stays outside the segments' transition.
            <Show when=move || target.get() == "segment" fallback=move || view! { <crate::customers::views::CustomerPicker label=i18n.t(TicketText::Customer) chosen/> }>
                <Transition fallback=|| ()>
                    <SelectField label=i18n.t(SurveyText::Segment) name="segment" value=segment options=segment_options/>
                </Transition>
            </Show>
            <span class="field-error">{sending.field("target")}</span>
            <button type="button" class="button primary" disabled=move || sending.pending().get() on:click=send>{i18n.t(SurveyText::Send)}</button>
        </div>
    }
}

#[component]
fn Groups(title: SurveyText, groups: Vec<ScoreGroup>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="card table-wrap">
            <h3>{i18n.t(title)}</h3>
            <Table columns=vec![
                Column::blank(),
                Column::new(i18n.t(SurveyText::Answers)).numeric(),
                Column::new(i18n.t(SurveyText::Csat)).numeric(),
                Column::new(i18n.t(SurveyText::Nps)).numeric(),
            ]>
                {groups.into_iter().map(|g| view! {
                    <tr>
                        <td>{g.week.map(|w| w.to_string()).unwrap_or(g.label)}</td>
                        <td class="num">{g.answers}</td><td class="num">{percent(g.csat_percent)}</td><td class="num">{score(g.nps)}</td>
                    </tr>
                }).collect_view()}
            </Table>
        </div>
    }
}

#[component]
fn Results(id: i64, changes: Memo<u64>) -> impl IntoView {
    let i18n = use_i18n();
    let results = Resource::new(move || changes.get(), move |_| get_survey_results(id));
    view! {
        <ResourceView resource=results let:r>
                    <div class="card">
                        <h2>{i18n.t(SurveyText::Results)}</h2>
                        <dl class="facts key-facts" data-testid="survey-results">
                            <div><dt>{i18n.t(SurveyText::QueuedCount)}</dt><dd>{r.queued}</dd></div>
                            <div><dt>{i18n.t(SurveyText::SentCount)}</dt><dd data-testid="sent-count">{r.sent}</dd></div>
                            <div><dt>{i18n.t(SurveyText::FailedCount)}</dt><dd>{r.failed}</dd></div>
                            <div><dt>{i18n.t(SurveyText::AnsweredCount)}</dt><dd data-testid="answered-count">{r.answered}</dd></div>
                            <div><dt>{i18n.t(SurveyText::ResponseRate)}</dt><dd>{percent(r.response_rate_percent)}</dd></div>
                            <div><dt>{i18n.t(SurveyText::Csat)}</dt><dd data-testid="csat">{percent(r.csat_percent)}" ("{r.csat_answers}")"</dd></div>
                            <div><dt>{i18n.t(SurveyText::Nps)}</dt><dd data-testid="nps">{score(r.nps)}</dd></div>
                            <div><dt>{i18n.t(SurveyText::Promoters)}</dt><dd>{r.promoters}</dd></div>
                            <div><dt>{i18n.t(SurveyText::Passives)}</dt><dd>{r.passives}</dd></div>
                            <div><dt>{i18n.t(SurveyText::Detractors)}</dt><dd>{r.detractors}</dd></div>
                        </dl>
                    </div>
                    <div class="grid-2">
                        <Groups title=SurveyText::ByWeek groups=r.by_week/>
                        <Groups title=SurveyText::ByAgent groups=r.by_agent/>
                        <Groups title=SurveyText::ByTier groups=r.by_tier/>
                        <div class="card">
                            <h3>{i18n.t(SurveyText::Comments)}</h3>
                            <ul class="plain-list">{r.texts.into_iter().map(|t| view! {
                                <li><A href=format!("/customers/{}", t.customer_id.0)>{t.customer_name}</A>": “"{t.text}"”"</li>
                            }).collect_view()}</ul>
                        </div>
                    </div>
                    <div class="card table-wrap">
                        <h3>{i18n.t(SurveyText::Recipients)}</h3>
                        <Table testid="recipients" columns=vec![
                            Column::new(i18n.t(TicketText::Customer)),
                            Column::new(i18n.t(SurveyText::Email)),
                            Column::new(i18n.t(SurveyText::Status)),
                            Column::new(i18n.t(SurveyText::Attempts)).numeric(),
                            Column::new(i18n.t(SurveyText::Error)),
                            Column::new(i18n.t(SurveyText::FollowUp)),
                        ]>
                            {r.recipients.into_iter().map(|x| view! {
                                <tr data-status=x.status.clone()>
                                    <td><A href=format!("/customers/{}", x.customer_id.0)>{x.customer_name}</A></td>
                                    <td>{x.email}</td>
                                    <td>{let status = recipient_status(&x.status); move || status.text(i18n.locale())}{x.sent_at.map(|at| view! { " · "<Timestamp at/> })}</td>
                                    <td class="num">{x.attempts}</td>
                                    <td class="small">{x.last_error.unwrap_or_default()}</td>
                                    <td>{x.followup_ticket_id.map(|t| view! { <A href=format!("/tickets/{t}")>{format!("#{t}")}</A> })}</td>
                                </tr>
                            }).collect_view()}
                        </Table>
                    </div>
        </ResourceView>
    }
}

/// `/s/:token`: a customer answers, without signing in, in their own language.
#[component]
pub fn PublicSurveyPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let survey = Resource::new(move || token.get(), get_public_survey);
    let i18n = use_i18n();
    view! {
        <main class="public-survey">
            <Suspense fallback=|| view! { <Loading/> }>
                {move || survey.get().map(|result| match result {
                    Err(error) => {
                        let locale = i18n.locale();
                        view! { <div class="auth-card"><p class="notice error" data-testid="survey-error">{error_text(&error, locale)}</p></div> }.into_any()
                    }
                    Ok(public) => view! { <AnswerForm token=token.get_untracked() public/> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn AnswerForm(token: String, public: PublicSurvey) -> impl IntoView {
    let toasts = use_toasts();
    // The recipient's language, switchable on the page.
    let locale = RwSignal::new(public.locale);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(root) =
            web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", locale.get().tag());
        }
    });
    let survey = public.survey;
    let answers = RwSignal::new(vec![AnswerValue::Skipped; survey.questions.len()]);
    let failure = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(false);
    let t = move |key: SurveyText| key.text(locale.get());
    let submit = move |_| {
        let token = token.clone();
        let values = answers.get_untracked();
        spawn_local(async move {
            match submit_survey_answer(token, values).await {
                Ok(()) => done.set(true),
                Err(error) => {
                    if error.field_errors().is_none() {
                        let message = error_text(&error, locale.get_untracked());
                        toasts.show(ToastKind::Error, move |_| message.clone());
                    }
                    failure.set(Some(error));
                }
            }
        });
    };
    let error_for = move |n: usize| {
        move || {
            failure.with(|f| {
                f.as_ref()?.field_errors().and_then(|e| {
                    let list = e.get(&format!("q{n}"));
                    (!list.is_empty()).then(|| {
                        list.iter()
                            .map(|x| crate::i18n::field_error_text(x, locale.get()))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                })
            })
        }
    };
    let heading = survey.clone();
    view! {
        <div class="survey-card" data-testid="public-survey">
            <div class="locale-switch">
                {Locale::ALL.into_iter().map(|l| view! {
                    <button type="button" class="link" aria-pressed=move || (locale.get() == l).to_string() on:click=move |_| locale.set(l)>{l.endonym()}</button>
                }).collect_view()}
            </div>
            <h1>{move || heading.name(locale.get()).to_owned()}</h1>
            {move || if done.get() {
                view! { <div data-testid="thank-you"><h2>{t(SurveyText::ThankYou)}</h2><p>{t(SurveyText::ThankYouDetail)}</p></div> }.into_any()
            } else {
                let survey = survey.clone();
                view! {
                    <p class="intro">{let s = survey.clone(); move || s.intro(locale.get()).to_owned()}</p>
                    {survey.questions.iter().cloned().enumerate().map(|(n, q)| {
                        let kind = q.kind;
                        let text = q.clone();
                        view! {
                            <fieldset class="survey-question" data-testid="survey-question" data-kind=kind.as_str()>
                                <legend>{move || format!("{}. {}", n + 1, text.text(locale.get()))}{(!q.required).then(|| view! { <span class="muted">{move || t(SurveyText::Optional)}</span> })}</legend>
                                {match kind {
                                    QuestionKind::Csat | QuestionKind::Nps => {
                                        let (low, high) = if kind == QuestionKind::Csat { (1, 5) } else { (0, 10) };
                                        let (low_text, high_text) = if kind == QuestionKind::Csat {
                                            (SurveyText::VeryUnsatisfied, SurveyText::VerySatisfied)
                                        } else {
                                            (SurveyText::NotLikely, SurveyText::VeryLikely)
                                        };
                                        view! {
                                            <div class="scale" role="radiogroup">
                                                {(low..=high).map(|value| view! {
                                                    <button type="button" class="scale-point" data-value=value.to_string()
                                                        aria-pressed=move || answers.with(|a| a.get(n) == Some(&AnswerValue::Score(value))).to_string()
                                                        on:click=move |_| answers.update(|a| a[n] = AnswerValue::Score(value))>{value}</button>
                                                }).collect_view()}
                                            </div>
                                            <div class="scale-ends muted small"><span>{move || t(low_text)}</span><span>{move || t(high_text)}</span></div>
                                        }.into_any()
                                    }
                                    QuestionKind::Single => q.options.iter().cloned().enumerate().map(|(c, choice)| view! {
                                        <label class="field-checkbox">
                                            <input type="radio" name=format!("q{n}") on:change=move |_| answers.update(|a| a[n] = AnswerValue::Choice(c))/>
                                            <span>{move || if locale.get() == Locale::ZhCn { choice.zh.clone() } else { choice.en.clone() }}</span>
                                        </label>
                                    }).collect_view().into_any(),
                                    QuestionKind::Multiple => q.options.iter().cloned().enumerate().map(|(c, choice)| view! {
                                        <label class="field-checkbox">
                                            <input type="checkbox" on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                answers.update(|a| {
                                                    let mut list = match &a[n] { AnswerValue::Choices(l) => l.clone(), _ => Vec::new() };
                                                    list.retain(|x| *x != c);
                                                    if on { list.push(c); }
                                                    a[n] = AnswerValue::Choices(list);
                                                });
                                            }/>
                                            <span>{move || if locale.get() == Locale::ZhCn { choice.zh.clone() } else { choice.en.clone() }}</span>
                                        </label>
                                    }).collect_view().into_any(),
                                    QuestionKind::Text => view! {
                                        <textarea rows="4" name=format!("q{n}") on:input=move |ev| {
                                            let value = event_target_value(&ev);
                                            answers.update(|a| a[n] = if value.trim().is_empty() { AnswerValue::Skipped } else { AnswerValue::Text(value) });
                                        }></textarea>
                                    }.into_any(),
                                }}
                                <span class="field-error">{error_for(n)}</span>
                            </fieldset>
                        }
                    }).collect_view()}
                    <button type="button" class="button primary" data-testid="submit-survey" on:click=submit.clone()>{move || t(SurveyText::Submit)}</button>
                }.into_any()
            }}
        </div>
    }
}
