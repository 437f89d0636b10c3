//! `/mappings/:name`: a mapping's versions and their approval. The timeline of versions
//! with each signature (printed name, UTC time, meaning: 21 CFR 11.50), the field-level
//! diff between any two versions, the golden-sample results, and the actions the user's
//! role may take: submit, approve or reject in an e-signature dialog, activate or roll back.
//! The server decides what is allowed (`engine::mapping::versions`) and says why not.

use crate::api::mappings::{
    get_mapping, get_mapping_diff, replay_mapping_version, ActivateMappingVersion,
    PromoteGoldenSample, RetireMappingVersion, SignMappingVersion, SubmitMappingVersion,
};
use crate::components::{short_time, Card, Empty, SignedIn, Th, VersionBadge};
use crate::model::mappings::{
    ChangeView, GoldenDiff, GoldenView, MappingDetail, MappingEvent, ReplayInput, ReplayView,
    SignatureView, VersionView,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The one meaning an approval may carry (`engine::mapping::versions::APPROVED_FOR_CLINICAL_USE`).
const APPROVAL_MEANING: &str = "approved for clinical use";

#[component]
pub fn MappingPage() -> impl IntoView {
    view! {
        <Title text="Mapping · GenoBridge" />
        <SignedIn page=|_me, csrf| view! { <Mapping csrf /> } />
    }
}

/// The actions of the page, shared by its parts.
#[derive(Clone, Copy)]
struct Actions {
    submit: ServerAction<SubmitMappingVersion>,
    sign: ServerAction<SignMappingVersion>,
    activate: ServerAction<ActivateMappingVersion>,
    retire: ServerAction<RetireMappingVersion>,
    promote: ServerAction<PromoteGoldenSample>,
}

/// What the signature dialog is open for.
#[derive(Clone, Debug, PartialEq)]
struct Signing {
    version: i64,
    sha256: String,
    approve: bool,
    /// The session's first signature: the user name is asked for too.
    first: bool,
}

#[component]
fn Mapping(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let focus = move || query.read().get("v").and_then(|v| v.parse::<i64>().ok());
    let actions = Actions {
        submit: ServerAction::new(),
        sign: ServerAction::new(),
        activate: ServerAction::new(),
        retire: ServerAction::new(),
        promote: ServerAction::new(),
    };
    let changed = move || {
        (
            actions.submit.version().get(),
            actions.sign.version().get(),
            actions.activate.version().get(),
            actions.retire.version().get(),
            actions.promote.version().get(),
        )
    };
    let detail = Resource::new(
        move || (name(), focus(), changed()),
        |(n, f, _)| get_mapping(n, f),
    );
    let csrf = StoredValue::new(csrf);
    // Outside the data's Transition, so a refused signature keeps the dialog (and its
    // message) open while the page reloads its data.
    let signing = RwSignal::new(None::<Signing>);
    view! {
        <a href="/mappings" class="text-sm font-medium text-sky-700 hover:underline">"← All mappings"</a>
        <ActionErrors actions />
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading the mapping…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <Detail d actions csrf=csrf.get_value() signing /> }.into_any(),
                    Err(e) => view! {
                        <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
        {move || signing.get().map(|s| view! {
            <SignDialog name=name() s action=actions.sign csrf=csrf.get_value() signing />
        })}
    }
}

/// The newest refusal of a submit or an activation, in the rule's words.
#[component]
fn ActionErrors(actions: Actions) -> impl IntoView {
    let error = move || {
        [
            actions.submit.value().get(),
            actions.activate.value().get(),
            actions.retire.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| actions.promote.value().get().and_then(|r| r.err()))
        .map(|e| e.to_string())
    };
    view! {
        <Show when=move || error().is_some()>
            <p role="alert" id="action-error" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700 ring-1 ring-red-600/20">
                {error}
            </p>
        </Show>
    }
}

#[component]
fn Detail(
    d: MappingDetail,
    actions: Actions,
    csrf: String,
    signing: RwSignal<Option<Signing>>,
) -> impl IntoView {
    let MappingDetail {
        name,
        kind,
        source,
        active,
        waiting,
        versions,
        focus,
        golden,
        can_promote,
        can_replay,
        audit,
        signed_in_session,
    } = d;
    let focused = versions
        .iter()
        .find(|v| v.version == focus)
        .cloned()
        .expect("the server sends the focused version");
    let numbers: Vec<i64> = versions.iter().map(|v| v.version).collect();
    // Compare against what runs now; when this is what runs, against the version before.
    let diff_from = match active {
        Some(a) if a != focus => a,
        _ => numbers
            .iter()
            .copied()
            .find(|v| *v < focus)
            .unwrap_or(focus),
    };
    let csrf_golden = csrf.clone();
    let kind_label = if kind == "report" {
        "Report mapping (LRI + FHIR)"
    } else {
        "LIMS mapping"
    };
    view! {
        <div class="flex flex-wrap items-start justify-between gap-4">
            <div>
                <h1 class="font-mono text-xl font-semibold" id="mapping-name">{name.clone()}</h1>
                <p class="mt-1 text-sm text-slate-600">
                    {kind_label} " · reads " <code class="font-mono">{source}</code> " · "
                    {match active {
                        Some(a) => format!("v{a} runs now"),
                        None => "no version runs now".to_string(),
                    }}
                </p>
            </div>
            {waiting.map(|w| view! {
                <p id="waiting" class="rounded-md bg-amber-50 px-3 py-2 text-sm font-medium text-amber-900 ring-1 ring-amber-600/20">{w}</p>
            })}
        </div>
        <div class="grid grid-cols-1 gap-6 lg:grid-cols-[22rem_minmax(0,1fr)]">
            {view! { <Timeline name=name.clone() versions=versions.clone() focus /> }.into_any()}
            <div class="space-y-6">
                <FocusCard
                    name=name.clone()
                    v=focused.clone()
                    active
                    actions
                    csrf
                    signing
                    first=!signed_in_session
                />
                <DiffCard name=name.clone() numbers from=diff_from to=focus />
                {(can_replay && active.is_some_and(|a| a != focus)).then(|| view! {
                    <ReplayCard name=name.clone() version=focus active=active.unwrap_or_default() />
                })}
                <GoldenCard
                    name=name.clone()
                    golden
                    focus
                    promote=can_promote.then_some(actions.promote)
                    csrf=csrf_golden
                />
                {audit.map(|events| view! { <AuditCard events /> })}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn Timeline(name: String, versions: Vec<VersionView>, focus: i64) -> impl IntoView {
    view! {
        <section class="self-start overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="border-b border-slate-100 px-5 py-4">
                <h2 class="text-base font-semibold">"Versions"</h2>
                <p class="text-sm text-slate-500">"Newest first, with every signature"</p>
            </div>
            <ol id="timeline" class="divide-y divide-slate-100">
                {versions.into_iter().map(|v| {
                    let href = format!("/mappings/{name}?v={}", v.version);
                    let selected = v.version == focus;
                    let class = if selected {
                        "block border-l-4 border-sky-600 bg-sky-50/60 px-5 py-3 focus:outline-none focus:ring-2 focus:ring-inset focus:ring-sky-500"
                    } else {
                        "block border-l-4 border-transparent px-5 py-3 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-inset focus:ring-sky-500"
                    };
                    view! {
                        <li data-version=v.version.to_string() data-state=v.state.clone()>
                            <a href=href class=class aria-current=selected.then_some("true")>
                                <div class="flex items-center justify-between gap-2">
                                    <VersionBadge version=v.version state=v.state.clone() />
                                    <span class="text-xs text-slate-500">{short_time(&v.created_at)}</span>
                                </div>
                                <p class="mt-1 text-xs text-slate-600">"by " <span class="font-medium">{v.author.clone()}</span></p>
                                <Signatures sigs=v.signatures.clone() />
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// Each signature's printed name, UTC time and meaning (21 CFR 11.50).
#[component]
fn Signatures(sigs: Vec<SignatureView>) -> impl IntoView {
    (!sigs.is_empty()).then(|| view! {
        <ul class="mt-2 space-y-1">
            {sigs.into_iter().map(|s| view! {
                <li class="signature rounded-md bg-white px-2 py-1.5 text-xs ring-1 ring-slate-200">
                    <p class="font-medium text-slate-800">
                        "✍ " {s.printed_name} <span class="font-normal text-slate-500">{format!(" ({})", s.username)}</span>
                    </p>
                    <p class="text-slate-600">{format!("{} UTC", short_time(&s.signed_at))}</p>
                    <p class="text-slate-700">"Meaning: " <span class="italic">{s.meaning}</span></p>
                </li>
            }).collect_view()}
        </ul>
    })
}

#[component]
fn FocusCard(
    name: String,
    v: VersionView,
    active: Option<i64>,
    actions: Actions,
    csrf: String,
    signing: RwSignal<Option<Signing>>,
    first: bool,
) -> impl IntoView {
    let version = v.version;
    let sha = v.sha256.clone();
    let submit = v.can_submit.clone().map(|allowed| {
        let (name, csrf) = (name.clone(), csrf.clone());
        let pending = actions.submit.pending();
        view! {
            <ActionButton
                id="submit"
                label="Submit for approval"
                allowed
                primary=true
                pending
                on_click=move || {
                    actions.submit.dispatch(SubmitMappingVersion {
                        name: name.clone(),
                        version,
                        csrf: csrf.clone(),
                    });
                }
            />
        }
    });
    let sign = v.can_sign.clone().map(|allowed| {
        let (sha_a, sha_r) = (sha.clone(), sha.clone());
        let reason = allowed.clone().err();
        view! {
            <div class="flex flex-col gap-2">
                <div class="flex gap-2">
                    <ActionButton
                        id="approve"
                        label="Approve…"
                        allowed=allowed.clone()
                        primary=true
                        pending=Signal::derive(|| false)
                        show_reason=false
                        on_click=move || signing.set(Some(Signing { version, sha256: sha_a.clone(), approve: true, first }))
                    />
                    <ActionButton
                        id="reject"
                        label="Reject…"
                        allowed
                        primary=false
                        pending=Signal::derive(|| false)
                        show_reason=false
                        on_click=move || signing.set(Some(Signing { version, sha256: sha_r.clone(), approve: false, first }))
                    />
                </div>
                {reason.map(|r| view! { <p id="sign-blocked" class="max-w-md text-sm text-amber-800">{r}</p> })}
            </div>
        }
    });
    let activate = v.can_activate.clone().map(|allowed| {
        view! { <ActivateControl name=name.clone() version active allowed actions csrf=csrf.clone() /> }
    });
    let retire = v.can_retire.clone().map(|allowed| {
        view! { <RetireControl name=name.clone() version allowed action=actions.retire csrf=csrf.clone() /> }
    });
    let nothing = submit.is_none() && sign.is_none() && activate.is_none() && retire.is_none();
    view! {
        <section id="focus" data-version=version.to_string() data-state=v.state.clone() class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-6 py-4">
                <div class="flex items-center gap-3">
                    <h2 class="text-base font-semibold">{format!("{name} v{version}")}</h2>
                    <VersionBadge version state=v.state.clone() />
                </div>
                <p class="text-xs text-slate-500">
                    {format!("by {} · created {} · changed {}", v.author, short_time(&v.created_at), short_time(&v.updated_at))}
                </p>
            </div>
            <div class="space-y-4 px-6 py-4">
                <div>
                    <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">"SHA-256 of this version"</p>
                    <p class="mt-1 break-all font-mono text-xs text-slate-800" data-testid="sha256">{sha.clone()}</p>
                </div>
                <Signatures sigs=v.signatures.clone() />
                <div class="flex flex-wrap items-start gap-4">
                    {submit}
                    {sign}
                    {activate}
                    {retire}
                    {nothing.then(|| {
                        let text = if v.state == "retired" {
                            "Retired: kept with its signatures for the record, and never activated again."
                        } else {
                            "No action for your role on this version."
                        };
                        view! { <p class="text-sm text-slate-500" id="no-actions">{text}</p> }
                    })}
                </div>
            </div>
        </section>
    }
}

/// A button that is enabled, or disabled with the rule's reason next to it.
#[component]
fn ActionButton(
    id: &'static str,
    label: &'static str,
    allowed: Result<(), String>,
    primary: bool,
    #[prop(into)] pending: Signal<bool>,
    #[prop(default = true)] show_reason: bool,
    on_click: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let reason = allowed.clone().err();
    let disabled = reason.is_some();
    let class = if primary {
        "rounded-md bg-sky-700 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2 disabled:cursor-not-allowed disabled:bg-slate-300 disabled:text-slate-600"
    } else {
        "rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-800 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2 disabled:cursor-not-allowed disabled:text-slate-400"
    };
    view! {
        <div class="flex flex-col items-start gap-1">
            <button
                type="button"
                id=id
                class=class
                disabled=move || disabled || pending.get()
                title=reason.clone()
                on:click=move |_| on_click()
            >
                {move || if pending.get() { "Working…" } else { label }}
            </button>
            {reason.filter(|_| show_reason).map(|r| view! { <p class="max-w-md text-sm text-amber-800">{r}</p> })}
        </div>
    }
}

/// Activate (or roll back to) an approved version, after a confirmation that names what
/// will change.
#[component]
fn ActivateControl(
    name: String,
    version: i64,
    active: Option<i64>,
    allowed: Result<(), String>,
    actions: Actions,
    csrf: String,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let rollback = active.is_some_and(|a| a > version);
    let label = if rollback {
        "Roll back to this version…"
    } else {
        "Activate…"
    };
    let what = match active {
        Some(a) if rollback => format!(
            "Roll back {name} from v{a} to v{version}: from the next input on, the engine runs v{version} and its messages name v{version}. v{a} stays approved, so it can be activated again."
        ),
        Some(a) => format!(
            "Activate {name} v{version} in place of v{a}: from the next input on, the engine runs v{version} and its messages name v{version}. v{a} stays approved, so you can roll back to it."
        ),
        None => format!(
            "Activate {name} v{version}: from the next input on, the engine runs it and its messages name v{version}."
        ),
    };
    let pending = actions.activate.pending();
    let confirm_label = if rollback { "Roll back" } else { "Activate" };
    view! {
        <div class="flex flex-col items-start gap-2">
            <ActionButton
                id="activate"
                label
                allowed
                primary=true
                pending
                on_click=move || confirming.set(true)
            />
            <Show when=move || confirming.get()>
                <div id="activate-confirm" role="alertdialog" aria-label="Confirm activation" class="max-w-xl rounded-lg bg-amber-50 p-4 text-sm text-amber-950 ring-1 ring-amber-600/30">
                    <p>{what.clone()}</p>
                    <div class="mt-3 flex gap-2">
                        <button
                            type="button"
                            id="activate-confirm-button"
                            class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2"
                            on:click={
                                let (name, csrf) = (name.clone(), csrf.clone());
                                move |_| {
                                    confirming.set(false);
                                    actions.activate.dispatch(ActivateMappingVersion {
                                        name: name.clone(),
                                        version,
                                        csrf: csrf.clone(),
                                    });
                                }
                            }
                        >
                            {confirm_label}
                        </button>
                        <button
                            type="button"
                            class="rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500"
                            on:click=move |_| confirming.set(false)
                        >
                            "Cancel"
                        </button>
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// Retire an approved or rejected version, after a confirmation: it stays readable and
/// signed, but is never activated again.
#[component]
fn RetireControl(
    name: String,
    version: i64,
    allowed: Result<(), String>,
    action: ServerAction<RetireMappingVersion>,
    csrf: String,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let what = format!(
        "Retire {name} v{version}: it stays in the history with its signatures and can still be exported, but it can never be activated again."
    );
    view! {
        <div class="flex flex-col items-start gap-2">
            <ActionButton
                id="retire"
                label="Retire…"
                allowed
                primary=false
                pending=action.pending()
                on_click=move || confirming.set(true)
            />
            <Show when=move || confirming.get()>
                <div id="retire-confirm" role="alertdialog" aria-label="Confirm retirement" class="max-w-xl rounded-lg bg-amber-50 p-4 text-sm text-amber-950 ring-1 ring-amber-600/30">
                    <p>{what.clone()}</p>
                    <div class="mt-3 flex gap-2">
                        <button
                            type="button"
                            id="retire-confirm-button"
                            class="rounded-md bg-sky-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2"
                            on:click={
                                let (name, csrf) = (name.clone(), csrf.clone());
                                move |_| {
                                    confirming.set(false);
                                    action.dispatch(RetireMappingVersion { name: name.clone(), version, csrf: csrf.clone() });
                                }
                            }
                        >"Retire"</button>
                        <button
                            type="button"
                            class="rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
                            on:click=move |_| confirming.set(false)
                        >"Cancel"</button>
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// The e-signature dialog: the exact SHA-256 being signed, the meaning, and the password
/// (with the user name too at the session's first signing, 21 CFR 11.200(a)(1)).
#[component]
fn SignDialog(
    name: String,
    s: Signing,
    action: ServerAction<SignMappingVersion>,
    csrf: String,
    signing: RwSignal<Option<Signing>>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let first_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = first_input.get() {
            let _ = el.focus();
        }
    });
    // A successful signature closes the dialog (the page reloads its data); a refusal
    // stays in it, in the rule's words.
    let seen = action.version().get_untracked();
    Effect::new(move |_| {
        if action.version().get() == seen {
            return;
        }
        match action.value().get() {
            Some(Ok(())) => signing.set(None),
            Some(Err(e)) => error.set(Some(e.to_string())),
            None => {}
        }
    });
    let (approve, first) = (s.approve, s.first);
    let title = format!(
        "{} {name} v{}",
        if approve { "Approve" } else { "Reject" },
        s.version
    );
    let submit = {
        let (name, csrf) = (name.clone(), csrf.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            error.set(None);
            action.dispatch(SignMappingVersion {
                name: name.clone(),
                version: s.version,
                approve,
                meaning: if approve {
                    APPROVAL_MEANING.to_string()
                } else {
                    reason.get_untracked()
                },
                username: username.get_untracked(),
                password: password.get_untracked(),
                csrf: csrf.clone(),
            });
        }
    };
    let input = "mt-1 block w-full rounded-md border-0 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-sky-600";
    view! {
        <div class="fixed inset-0 z-20 flex items-center justify-center bg-slate-900/40 px-4">
            <div
                id="sign-dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="sign-title"
                class="w-full max-w-lg rounded-2xl bg-white p-6 shadow-xl ring-1 ring-slate-200"
                on:keydown=move |ev| { if ev.key() == "Escape" { signing.set(None) } }
            >
                <h2 id="sign-title" class="text-lg font-semibold">{title}</h2>
                <p class="mt-1 text-sm text-slate-600">
                    "This is your electronic signature. It is recorded with your printed name, the time (UTC) and its meaning, and it is bound to this exact version:"
                </p>
                <div class="mt-3 rounded-md bg-slate-50 px-3 py-2 ring-1 ring-slate-200">
                    <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">"SHA-256 being signed"</p>
                    <p class="mt-1 break-all font-mono text-xs text-slate-900" data-testid="signing-sha256">{s.sha256.clone()}</p>
                </div>
                <form class="mt-4 space-y-4" on:submit=submit>
                    <fieldset>
                        <legend class="block text-sm font-medium text-slate-700">"Meaning of this signature"</legend>
                        {if approve {
                            view! {
                                <label class="mt-2 flex items-center gap-2 text-sm">
                                    <input type="radio" name="meaning" value=APPROVAL_MEANING checked required />
                                    <span class="font-medium">{APPROVAL_MEANING}</span>
                                </label>
                            }.into_any()
                        } else {
                            view! {
                                <label class="mt-1 block">
                                    <span class="text-sm text-slate-600">"Reason for rejecting (required)"</span>
                                    <textarea
                                        name="reason"
                                        id="sign-reason"
                                        required
                                        rows="2"
                                        class=input
                                        bind:value=reason
                                    ></textarea>
                                </label>
                            }.into_any()
                        }}
                    </fieldset>
                    {first.then(|| view! {
                        <label class="block">
                            <span class="block text-sm font-medium text-slate-700">"User name"</span>
                            <input type="text" name="username" id="sign-username" autocomplete="username" required class=input bind:value=username node_ref=first_input />
                            <span class="mt-1 block text-xs text-slate-500">"First signature of this session: your user name and password. Later ones in this session ask for the password only."</span>
                        </label>
                    })}
                    <label class="block">
                        <span class="block text-sm font-medium text-slate-700">"Password"</span>
                        {if first {
                            view! { <input type="password" on:input=move |_| error.set(None) name="password" id="sign-password" autocomplete="current-password" required class=input bind:value=password /> }.into_any()
                        } else {
                            view! { <input type="password" on:input=move |_| error.set(None) name="password" id="sign-password" autocomplete="current-password" required class=input bind:value=password node_ref=first_input /> }.into_any()
                        }}
                    </label>
                    {move || error.get().map(|e| view! {
                        <p role="alert" id="sign-error" class="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 ring-1 ring-red-600/20">{e}</p>
                    })}
                    <div class="flex justify-end gap-2 pt-2">
                        <button
                            type="button"
                            class="rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500"
                            on:click=move |_| signing.set(None)
                        >
                            "Cancel"
                        </button>
                        <button
                            type="submit"
                            id="sign-submit"
                            class="rounded-md bg-sky-700 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2 disabled:opacity-60"
                            disabled=move || action.pending().get()
                        >
                            {move || if action.pending().get() {
                                "Signing…"
                            } else if approve {
                                "Sign and approve"
                            } else {
                                "Sign and reject"
                            }}
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
}

#[component]
fn DiffCard(name: String, numbers: Vec<i64>, from: i64, to: i64) -> impl IntoView {
    let from = RwSignal::new(from);
    let to = RwSignal::new(to);
    let diff = Resource::new(
        move || (name.clone(), from.get(), to.get()),
        |(n, f, t)| get_mapping_diff(n, f, t),
    );
    let select = "rounded-md border-0 py-1 pl-2 pr-8 text-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-sky-600";
    // The options are the select's inner HTML, not hydrated child views: Chromium's parser
    // rearranges nodes inside a <select>, which broke hydration markers there. The choice
    // is set on the select itself.
    let options: String = numbers
        .iter()
        .map(|n| format!("<option value=\"{n}\">v{n}</option>"))
        .collect();
    // Built on the client only, once hydrated: its selects and streamed comparison did not
    // hydrate reliably in Chromium (the parser rearranges nodes inside a <select>).
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let card = move || {
        view! {
            <section id="diff" class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
                <div class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-6 py-4">
                    <div>
                        <h2 class="text-base font-semibold">"What changes"</h2>
                        <p class="text-sm text-slate-500">"Field by field: rules added, removed and changed, keyed by target"</p>
                    </div>
                    <div class="flex items-center gap-2 text-sm">
                        <label for="diff-from" class="text-slate-600">"From"</label>
                        <select id="diff-from" class=select inner_html=options.clone() prop:value=move || from.get().to_string() on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse() { from.set(n) }
                        }></select>
                        <label for="diff-to" class="text-slate-600">"to"</label>
                        <select id="diff-to" class=select inner_html=options.clone() prop:value=move || to.get().to_string() on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse() { to.set(n) }
                        }></select>
                    </div>
                </div>
                <Transition fallback=|| view! { <p class="px-6 py-6 text-sm text-slate-500">"Comparing…"</p> }>
                    {move || Suspend::new(async move {
                        let (f, t) = (from.get_untracked(), to.get_untracked());
                        match diff.await {
                            Ok(_) if f == t => view! { <Empty text="The same version on both sides: pick two different versions." /> }.into_any(),
                            Ok(changes) if changes.is_empty() => view! { <Empty text="No differences: the two versions map the same way." /> }.into_any(),
                            Ok(changes) => view! { <DiffTable changes from=f to=t /> }.into_any(),
                            Err(e) => view! { <p role="alert" class="m-6 rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        }
    };
    view! {
        <Show when=move || mounted.get() fallback=|| view! { <section id="diff" class="rounded-xl bg-white px-6 py-4 text-sm text-slate-500 shadow-sm ring-1 ring-slate-200">"Loading the comparison…"</section> }>
            {card()}
        </Show>
    }
}

#[component]
fn DiffTable(changes: Vec<ChangeView>, from: i64, to: i64) -> impl IntoView {
    view! {
        <div class="overflow-x-auto">
            <table class="min-w-full table-fixed divide-y divide-slate-100 text-sm" id="diff-table">
                <thead class="bg-slate-50">
                    <tr>
                        <th class="w-28 px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">"Change"</th>
                        <th class="w-64 px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">"Field"</th>
                        <th class="px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">{format!("v{from} (old)")}</th>
                        <th class="px-4 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">{format!("v{to} (new)")}</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {changes.into_iter().map(|c| {
                        let badge = match c.kind.as_str() {
                            "added" => "bg-emerald-50 text-emerald-800 ring-emerald-600/30",
                            "removed" => "bg-red-50 text-red-800 ring-red-600/30",
                            _ => "bg-amber-50 text-amber-800 ring-amber-600/30",
                        };
                        let (data_kind, data_key) = (c.kind.clone(), c.key.clone());
                        view! {
                            <tr data-kind=data_kind data-key=data_key class="align-top">
                                <td class="px-4 py-2">
                                    <span class=format!("rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset {badge}")>{c.kind.clone()}</span>
                                </td>
                                <td class="break-words px-4 py-2 font-mono text-xs font-medium">{c.key}</td>
                                <td class="px-4 py-2">
                                    {c.old.map(|o| view! { <code class="old block whitespace-pre-wrap break-all rounded bg-red-50 px-2 py-1 font-mono text-xs text-red-900 ring-1 ring-red-200">{o}</code> })}
                                </td>
                                <td class="px-4 py-2">
                                    {c.new.map(|n| view! { <code class="new block whitespace-pre-wrap break-all rounded bg-emerald-50 px-2 py-1 font-mono text-xs text-emerald-900 ring-1 ring-emerald-200">{n}</code> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Impact replay, on request: this version and the active one run on the newest inputs
/// the engine processed, and what would change for each. Nothing is stored or sent.
#[component]
fn ReplayCard(name: String, version: i64, active: i64) -> impl IntoView {
    let replay = Action::new(move |_: &()| replay_mapping_version(name.clone(), version, 0));
    let subtitle = format!(
        "v{version} and v{active} (active) run on the newest 50 inputs the engine processed; nothing is stored or sent"
    );
    view! {
        <section id="replay" class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-6 py-4">
                <div>
                    <h2 class="text-base font-semibold">"Impact on recent inputs"</h2>
                    <p class="text-sm text-slate-500">{subtitle}</p>
                </div>
                <ActionButton
                    id="replay-run"
                    label="Replay"
                    allowed=Ok(())
                    primary=false
                    pending=replay.pending()
                    on_click=move || { replay.dispatch(()); }
                />
            </div>
            {move || match replay.value().get() {
                None => view! { <Empty text="Not run yet: replay to see which recent outputs this version would change." /> }.into_any(),
                Some(Err(e)) => view! { <p role="alert" class="m-6 rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                Some(Ok(r)) => view! { <ReplayResult r /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ReplayResult(r: ReplayView) -> impl IntoView {
    let summary = if r.inputs.is_empty() {
        "The engine has processed no input of this kind yet.".to_string()
    } else {
        format!(
            "{} of {} inputs would change · {} unchanged · {} could not be replayed",
            r.changed,
            r.inputs.len(),
            r.unchanged,
            r.failed
        )
    };
    let shown: Vec<ReplayInput> = r
        .inputs
        .into_iter()
        .filter(|i| i.error.is_some() || !i.changes.is_empty())
        .collect();
    view! {
        <p class="px-6 py-4 text-sm font-medium" data-testid="replay-summary">{summary}</p>
        <ul class="divide-y divide-slate-100">
            {shown.into_iter().map(|i| view! {
                <li class="px-6 py-3" data-input=i.input.clone()>
                    <details>
                        <summary class="cursor-pointer text-sm">
                            <span class="font-mono">{i.input.clone()}</span>
                            {match &i.error {
                                Some(_) => view! { <span class="ml-2 rounded-md bg-amber-50 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-amber-600/30">"not replayed"</span> }.into_any(),
                                None => view! { <span class="ml-2 text-xs text-slate-500">{format!("{} changes", i.changes.len() + i.more)}</span> }.into_any(),
                            }}
                        </summary>
                        {i.error.clone().map(|e| view! { <p class="mt-1 text-sm text-amber-900">{e}</p> })}
                        <OutputDiffs diffs=i.changes more=i.more old="Active version" />
                    </details>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn GoldenCard(
    name: String,
    golden: Vec<GoldenView>,
    focus: i64,
    /// Set when the user may promote this version's output (audited).
    promote: Option<ServerAction<PromoteGoldenSample>>,
    csrf: String,
) -> impl IntoView {
    let subtitle =
        format!("v{focus} run on each stored sample, compared by meaning with the expected output");
    view! {
        <section id="golden" class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <div class="border-b border-slate-100 px-6 py-4">
                <h2 class="text-base font-semibold">"Golden samples"</h2>
                <p class="text-sm text-slate-500">{subtitle}</p>
            </div>
            {if golden.is_empty() {
                view! { <Empty text="No golden samples for this mapping yet, so nothing is compared before submitting." /> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100">
                        {golden.into_iter().map(|g| view! {
                            <li class="px-6 py-3" data-golden=g.label.clone() data-pass=g.pass.to_string()>
                                <div class="flex items-center justify-between gap-3">
                                    <p class="font-medium">{g.label.clone()}</p>
                                    {if g.pass {
                                        view! { <span class="rounded-md bg-emerald-50 px-2 py-0.5 text-xs font-semibold text-emerald-800 ring-1 ring-emerald-600/30">"pass"</span> }.into_any()
                                    } else {
                                        view! { <span class="rounded-md bg-red-50 px-2 py-0.5 text-xs font-semibold text-red-800 ring-1 ring-red-600/30">"fail"</span> }.into_any()
                                    }}
                                </div>
                                <p class="text-xs text-slate-500">{format!("expected output set by {} at {} UTC", g.promoted_by, short_time(&g.promoted_at))}</p>
                                {g.error.clone().map(|e| view! { <p class="mt-1 text-sm text-red-700">{e}</p> })}
                                {promote.filter(|_| !g.pass && g.error.is_none()).map(|action| {
                                    let (name, csrf, label) = (name.clone(), csrf.clone(), g.label.clone());
                                    view! {
                                        <button
                                            type="button"
                                            class="promote mt-2 rounded-md bg-white px-3 py-1.5 text-xs font-semibold text-slate-800 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500 disabled:text-slate-400"
                                            title="The differences below become the expected output; the change is audited"
                                            disabled=move || action.pending().get()
                                            on:click=move |_| {
                                                action.dispatch(PromoteGoldenSample {
                                                    name: name.clone(),
                                                    version: focus,
                                                    label: label.clone(),
                                                    csrf: csrf.clone(),
                                                });
                                            }
                                        >{format!("Expect v{focus}'s output from now on")}</button>
                                    }
                                })}
                                <OutputDiffs diffs=g.diffs more=g.more old="Expected" />
                                <Unread fields=g.unread />
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Coverage: the sample's source fields no rule reads, folded away but always counted.
#[component]
fn Unread(fields: Vec<String>) -> impl IntoView {
    let count = fields.len().to_string();
    let summary = match fields.len() {
        0 => "Every source field of this sample is read by a rule".to_string(),
        1 => "1 source field of this sample is read by no rule".to_string(),
        n => format!("{n} source fields of this sample are read by no rule"),
    };
    view! {
        <details class="mt-2 text-xs" data-testid="unread" data-count=count>
            <summary class="cursor-pointer text-slate-600">{summary}</summary>
            <ul class="mt-1 gap-6 font-mono text-slate-700 sm:columns-2">
                {fields.into_iter().map(|f| view! { <li class="break-all">{f}</li> }).collect_view()}
            </ul>
        </details>
    }
}

/// Output differences keyed by meaning: where, the old value, this version's value; with a
/// count of those not shown.
#[component]
fn OutputDiffs(diffs: Vec<GoldenDiff>, more: usize, old: &'static str) -> impl IntoView {
    view! {
        {(!diffs.is_empty()).then(|| view! {
            <table class="mt-2 min-w-full text-xs">
                <thead><tr><Th>"Where"</Th><Th>{old}</Th><Th>"This version"</Th></tr></thead>
                <tbody class="divide-y divide-slate-100">
                    {diffs.into_iter().map(|d| view! {
                        <tr class="align-top">
                            <td class="px-4 py-1 font-mono">{d.key}</td>
                            <td class="px-4 py-1"><code class="rounded bg-red-50 px-1 text-red-900">{d.expected.unwrap_or_else(|| "(none)".into())}</code></td>
                            <td class="px-4 py-1"><code class="rounded bg-emerald-50 px-1 text-emerald-900">{d.actual.unwrap_or_else(|| "(none)".into())}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        {(more > 0).then(|| view! {
            <p class="mt-1 px-4 text-xs text-slate-500" data-testid="more-diffs">
                {format!("…and {more} more differences; `genobridge mapping test` lists them all")}
            </p>
        })}
    }
}

#[component]
fn AuditCard(events: Vec<MappingEvent>) -> impl IntoView {
    view! {
        <Card title="Audit trail of this mapping" subtitle="Newest first; each event is hash-chained to the one before">
            {if events.is_empty() {
                view! { <Empty text="No audit events yet: the shipped defaults were installed with the database." /> }.into_any()
            } else {
                view! {
                    <div class="max-h-96 overflow-auto">
                        <table id="mapping-audit" class="min-w-full divide-y divide-slate-100 text-sm">
                            <thead class="sticky top-0 bg-slate-50">
                                <tr><Th>"At (UTC)"</Th><Th>"Actor"</Th><Th>"Action"</Th><Th>"Version"</Th><Th>"Signature / reason"</Th><Th>"Hash"</Th></tr>
                            </thead>
                            <tbody class="divide-y divide-slate-100">
                                {events.into_iter().map(|e| { let data_action = e.action.clone(); view! {
                                    <tr data-action=data_action>
                                        <td class="whitespace-nowrap px-4 py-2 text-slate-600">{short_time(&e.at)}</td>
                                        <td class="px-4 py-2">{e.actor}</td>
                                        <td class="px-4 py-2 font-medium">{e.action}</td>
                                        <td class="px-4 py-2 tabular-nums">{e.version.map(|v| format!("v{v}"))}</td>
                                        <td class="px-4 py-2 text-slate-700">{e.note}</td>
                                        <td class="px-4 py-2 font-mono text-xs text-slate-500">{e.short_hash}</td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </Card>
    }
}
