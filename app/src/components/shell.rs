//! The one navigation shell of every signed-in page: the brand, the links the user's role
//! may use, who is signed in, and sign-out.

use super::Brand;
use crate::api::Logout;
use crate::model::Me;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// A navigation entry and the roles that see it.
struct Link {
    href: &'static str,
    label: &'static str,
    id: &'static str,
    roles: &'static [&'static str],
}

const LINKS: &[Link] = &[
    Link {
        href: "/",
        label: "Dashboard",
        id: "nav-dashboard",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/messages",
        label: "Messages",
        id: "nav-messages",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/runs",
        label: "Runs",
        id: "nav-runs",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/qc",
        label: "QC",
        id: "nav-qc",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/lims",
        label: "LIMS",
        id: "nav-lims",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/waiting",
        label: "Waiting",
        id: "nav-waiting",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/quarantine",
        label: "Quarantine",
        id: "nav-quarantine",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    Link {
        href: "/mappings",
        label: "Mappings",
        id: "nav-mappings",
        roles: &["admin", "engineer", "director", "inspector"],
    },
    // Inspectors' page: the audit trail, lineage, verification and exports.
    Link {
        href: "/audit",
        label: "Audit",
        id: "nav-audit",
        roles: &["admin", "director", "inspector"],
    },
    // Source fields carry real example values: the roles that write mappings only (the
    // server function refuses the others too).
    Link {
        href: "/sources",
        label: "Source fields",
        id: "sources-link",
        roles: &["admin", "engineer"],
    },
];

#[component]
pub fn Shell(me: Me, csrf: String, children: Children) -> impl IntoView {
    let location = use_location();
    let links = LINKS
        .iter()
        .filter(|l| l.roles.contains(&me.role.as_str()))
        .map(|l| {
            let href = l.href;
            let current = move || {
                let path = location.pathname.get();
                if href == "/" {
                    path == "/"
                } else {
                    path.starts_with(href)
                }
            };
            view! {
                <a
                    href=href
                    id=l.id
                    aria-current=move || current().then_some("page")
                    class=move || {
                        if current() {
                            "rounded-md bg-sky-50 px-3 py-1.5 text-sm font-semibold text-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500"
                        } else {
                            "rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus:outline-none focus:ring-2 focus:ring-sky-500"
                        }
                    }
                >
                    {l.label}
                </a>
            }
        })
        .collect_view();
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-7xl items-center justify-between gap-6 px-6 py-3">
                <div class="flex items-center gap-8">
                    <Brand />
                    <nav aria-label="Main" class="flex items-center gap-1" id="main-nav">{links}</nav>
                </div>
                <div class="flex items-center gap-4">
                    <div class="text-right text-sm" id="whoami">
                        <div class="font-medium" data-testid="username">{me.username.clone()}</div>
                        <div class="text-xs uppercase tracking-wide text-slate-500" data-testid="role">
                            {me.role.clone()}
                        </div>
                    </div>
                    <LogoutButton csrf />
                </div>
            </div>
        </header>
        <div class="mx-auto max-w-7xl space-y-6 px-6 py-8">{children()}</div>
    }
}

#[component]
fn LogoutButton(csrf: String) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout attr:id="logout-form">
            <input type="hidden" name="csrf" value=csrf />
            <button
                type="submit"
                class="rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500"
            >
                "Sign out"
            </button>
        </ActionForm>
    }
}

/// Signed-in pages: loads the session, sends a signed-out visitor to `/login` (a 302 during
/// SSR), and renders the shell around `page(me, csrf)`.
#[component]
pub fn SignedIn<F, V>(page: F) -> impl IntoView
where
    F: Fn(Me, String) -> V + Clone + Send + Sync + 'static,
    V: IntoView + Send + 'static,
{
    use crate::api::get_session;
    use crate::model::SessionView;
    use leptos_router::components::Redirect;
    let session = Resource::new_blocking(|| (), |_| get_session());
    view! {
        <Suspense fallback=|| view! { <p class="p-8 text-sm text-slate-500">"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(SessionView { user: Some(me), csrf }) => {
                            let body = page(me.clone(), csrf.clone());
                            view! { <Shell me csrf>{body}</Shell> }.into_any()
                        }
                        _ => view! { <Redirect path="/login" /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
