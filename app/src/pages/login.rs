//! `/login`: the sign-in form. It works without JavaScript (plain form post, errors come back
//! as `?error=1`) and, once hydrated, submits in place and shows the error without a reload.

use crate::api::{get_session, Login};
use crate::components::Brand;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_query_map};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let session = Resource::new_blocking(|| (), |_| get_session());
    let query = use_query_map();
    let error = move || match login.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => query
            .read()
            .get("error")
            .map(|_| AppError::BadCredentials.to_string()),
    };
    view! {
        <Title text="Sign in · GenoBridge" />
        <div class="flex min-h-screen flex-col items-center justify-center px-4">
            <div class="w-full max-w-sm">
                <div class="mb-8 flex justify-center">
                    <Brand />
                </div>
                <div class="rounded-2xl bg-white p-8 shadow-sm ring-1 ring-slate-200">
                    <h1 class="text-lg font-semibold">"Sign in"</h1>
                    <p class="mt-1 text-sm text-slate-500">"Clinical genomics integration console"</p>
                    <Show when=move || error().is_some()>
                        <p
                            id="login-error"
                            role="alert"
                            class="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 ring-1 ring-red-600/20"
                        >
                            {error}
                        </p>
                    </Show>
                    <ActionForm action=login attr:class="mt-6 space-y-4" attr:id="login-form">
                        <Suspense>
                            {move || Suspend::new(async move {
                                match session.await {
                                    Ok(s) if s.user.is_some() => view! { <Redirect path="/" /> }.into_any(),
                                    Ok(s) => view! { <input type="hidden" name="csrf" value=s.csrf /> }.into_any(),
                                    Err(_) => view! { <input type="hidden" name="csrf" value="" /> }.into_any(),
                                }
                            })}
                        </Suspense>
                        <Field label="Username" name="username" kind="text" autocomplete="username" />
                        <Field label="Password" name="password" kind="password" autocomplete="current-password" />
                        <button
                            type="submit"
                            class="w-full rounded-md bg-sky-700 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2 disabled:opacity-60"
                            disabled=move || login.pending().get()
                        >
                            {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </ActionForm>
                </div>
                <p class="mt-6 text-center text-xs text-slate-400">
                    "Access is logged. Authorised laboratory staff only."
                </p>
            </div>
        </div>
    }
}

#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <label class="block">
            <span class="block text-sm font-medium text-slate-700">{label}</span>
            <input
                type=kind
                name=name
                id=name
                required
                autocomplete=autocomplete
                class="mt-1 block w-full rounded-md border-0 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-sky-600"
            />
        </label>
    }
}
