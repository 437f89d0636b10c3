//! `serve`: open the store, create the first users, seed demo data when asked, then run
//! the engine and the web server side by side.

mod lims;

use engine::{
    config::Config,
    delivery::{ack, mllp},
    pipeline::{self, Engine},
    store::{NewAuditEvent, Order, Role, Store},
};
use rand::{distributions::Alphanumeric, Rng};
use std::path::Path;

pub fn placeholder_order() -> Order {
    Order {
        accession: "ACC-PLACEHOLDER".into(),
        sample_id: String::new(),
        placer_number: "PLACER-0".into(),
        filler_number: "FILLER-0".into(),
        patient_mrn: "SYN-000000".into(),
        patient_family: "Synthetic".into(),
        patient_given: "Placeholder".into(),
        birth_date: "1970-01-01".into(),
        sex: "U".into(),
        test_code: "GB-PANEL".into(),
        test_name: "Germline panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

/// The demo's synthetic order for the NB6TK328 fixture. Not a real person.
fn demo_order() -> Order {
    Order {
        accession: "ACC-2026-0001".into(),
        sample_id: "NB6TK328".into(),
        placer_number: "PL-778812".into(),
        filler_number: "GB-000001".into(),
        patient_mrn: "SYN-100042".into(),
        patient_family: "Testpatient".into(),
        patient_given: "Alex".into(),
        birth_date: "1980-02-29".into(),
        sex: "F".into(),
        test_code: "GB-HEREDITARY-CANCER".into(),
        test_name: "Hereditary cancer and cardiac panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// Creates one user per role on first start and prints each password once.
async fn first_users(store: &Store) -> Result<(), String> {
    if store.user_count().await.map_err(|e| e.to_string())? > 0 {
        return Ok(());
    }
    for role in Role::ALL {
        let password: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(20)
            .map(char::from)
            .collect();
        store
            .create_user(role.as_str(), &password, role)
            .await
            .map_err(|e| e.to_string())?;
        // The name printed with the user's electronic signatures (21 CFR 11.50).
        store
            .set_full_name(role.as_str(), &demo_full_name(role))
            .await
            .map_err(|e| e.to_string())?;
        let _ = store
            .append_audit(NewAuditEvent::system(
                "user.created",
                "user",
                role.as_str(),
                serde_json::json!({ "role": role.as_str() }),
            ))
            .await;
        println!("demo user {} password: {password}", role.as_str());
    }
    println!("(these passwords are shown once; they are stored only as argon2id hashes)");
    Ok(())
}

/// The demo users' printed names: "Demo Director" and so on.
fn demo_full_name(role: Role) -> String {
    let r = role.as_str();
    format!("Demo {}{}", r[..1].to_uppercase(), &r[1..])
}

async fn seed_demo(cfg: &Config, store: &Store) -> Result<(), String> {
    store
        .insert_order(&demo_order())
        .await
        .map_err(|e| e.to_string())?;
    let Some(fixtures) = &cfg.demo.fixtures_dir else {
        return Ok(());
    };
    let run = "20231108_LH00188_0028_B22F52TLT3";
    let run_target = cfg.watch.runs_dir.join(run);
    if !run_target.exists() {
        copy_dir(&fixtures.join("illumina").join(run), &run_target)
            .map_err(|e| format!("copying the demo run: {e}"))?;
    }
    // The pipeline names its output `<accession>_<sample>.vcf`, which links it to the order.
    let vcf_target = cfg.watch.vcf_dir.join("ACC-2026-0001_NB6TK328.vcf");
    if !vcf_target.exists() {
        std::fs::copy(fixtures.join("vcf/NB6TK328_filtered.vcf"), &vcf_target)
            .map_err(|e| format!("copying the demo VCF: {e}"))?;
    }
    // QC exports from the public fixtures: a qPCR run and a TapeStation analysis.
    if let Some(qc) = &cfg.watch.qc_dir {
        for export in [
            "appbio_quantstudio_example01.txt",
            "agilent_tapestation_analysis_example_01.xml",
        ] {
            let folder = if export.ends_with(".xml") {
                "qc/tapestation"
            } else {
                "qc/quantstudio"
            };
            let target = qc.join(export);
            if !target.exists() {
                std::fs::copy(fixtures.join(folder).join(export), &target)
                    .map_err(|e| format!("copying the demo QC export {export}: {e}"))?;
            }
        }
    }
    Ok(())
}

/// A stand-in EHR for the demo: answers every message with AA.
async fn demo_ehr(cfg: &Config) -> Result<(), String> {
    let Some(dest) = &cfg.lri_destination else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind((dest.host.as_str(), dest.port))
        .await
        .map_err(|e| format!("demo EHR listener on {}:{}: {e}", dest.host, dest.port))?;
    tokio::spawn(mllp::serve(listener, |msg| {
        Box::pin(async move { ack::build_ack(&msg, "AA", "", "DEMOEHR") })
    }));
    tracing::info!(address = %dest.address(), "demo EHR listening");
    Ok(())
}

/// Binds a listener the configuration names. The error names the setting and the address,
/// so a port in use stops the start instead of leaving a peer with "connection refused".
async fn bind(setting: &str, address: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("{setting} {address:?}: cannot listen there: {e}"))
}

/// How long a stop signal waits for work in progress before the process exits anyway.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolves when ctrl-c or (on Unix) SIGTERM arrives: what a terminal, systemd and
/// `docker stop` send. SIGTERM is taken over here, at the call, not when first polled.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn serve(mut cfg: Config, demo: bool) -> Result<(), String> {
    cfg.selection = cfg
        .selection
        .clone()
        .load()
        .map_err(|e| format!("[selection]: {e}"))?;
    for dir in [&cfg.data_dir, &cfg.watch.runs_dir, &cfg.watch.vcf_dir]
        .into_iter()
        .chain(cfg.watch.qc_dir.as_ref())
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // Fail at start, naming the setting, rather than in the delivery loop's log.
    if let Some(lims) = &cfg.lims {
        lims.destination.client()?;
    }
    if let Some(webhook) = cfg.alerts.as_ref().and_then(|a| a.webhook.as_ref()) {
        webhook.client()?;
    }
    // Every listener the configuration names is bound before anything else starts.
    let web_listener = bind("listen", &cfg.listen).await?;
    let listen = web_listener.local_addr().map_err(|e| e.to_string())?;
    let order_listener = match &cfg.order_intake {
        Some(address) => Some(bind("order_intake", address).await?),
        None => None,
    };
    let store = Store::open(&cfg.database_url)
        .await
        .map_err(|e| format!("{}: {e}", cfg.database_url))?;
    first_users(&store).await?;
    // Only approved versions run: a mapping in the configuration file becomes a draft in
    // the store (unless a version with its exact body exists), and the engine runs the
    // active stored versions.
    if let Some(lims) = cfg.lims.as_mut() {
        for m in std::mem::take(&mut lims.mappings) {
            let v = store
                .adopt_configured_mapping(&m)
                .await
                .map_err(|e| format!("lims.mappings {:?}: {e}", m.name))?;
            if !v.state.is_approved() {
                eprintln!(
                    "note: mapping {:?} from the configuration is {} ({}, not approved): it will not run until a director approves and activates it (`genobridge mapping …`)",
                    m.name,
                    v.label(),
                    v.state.as_str()
                );
            }
        }
    }
    if demo {
        seed_demo(&cfg, &store).await?;
    }
    if demo && cfg.demo.ehr_listener {
        demo_ehr(&cfg).await?;
    }
    if demo && cfg.demo.lims_listener {
        lims::start(&cfg).await?;
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let shutdown = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let listeners = crate::web::Listeners::default();
    let engine = Engine::new(store.clone(), cfg.clone());
    let engine_task = tokio::spawn(pipeline::run_forever(engine.clone(), shutdown(rx.clone())));
    let lims_task = tokio::spawn(pipeline::lims::run_forever(
        engine.clone(),
        shutdown(rx.clone()),
    ));
    listeners.watch("engine", &engine_task);
    let alerts_task = tokio::spawn(pipeline::alerts::run_forever(
        engine.clone(),
        shutdown(rx.clone()),
    ));
    if cfg.alerts.is_some() {
        listeners.watch("alerts", &alerts_task);
    }
    let anchors_task = tokio::spawn(pipeline::anchors::run_forever(
        engine.clone(),
        shutdown(rx.clone()),
    ));
    listeners.watch("audit_anchors", &anchors_task);
    let retention_task = tokio::spawn(pipeline::retention::run_forever(
        engine.clone(),
        shutdown(rx.clone()),
    ));
    if cfg.retention.is_some() {
        listeners.watch("retention", &retention_task);
    }
    // Without a destination a delivery loop ends at once, as it should.
    if cfg.lims.is_some() {
        listeners.watch("lims_delivery", &lims_task);
    }
    // This node has no attempt in flight yet: what it had claimed when it stopped is due now.
    match store
        .release_claims(&cfg.node, engine::store::now_ms())
        .await
    {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(node = %cfg.node, claims = n, "took back this node's unfinished claims")
        }
        Err(e) => {
            tracing::warn!(error = %e, "taking back this node's claims failed; their leases will run out")
        }
    }
    listeners.set_node(&cfg.node, engine.scanning.clone());
    listeners.set_engine(&engine);
    listeners.set_data_dir(&cfg.data_dir);
    let some = |yes: bool, name: &str| yes.then(|| name.to_string());
    listeners.set_rules(app::model::DeliveryRules {
        ordered_kinds: [
            some(
                cfg.lri_destination.as_ref().is_some_and(|d| d.ordered),
                "lri",
            ),
            some(
                cfg.fhir_destination.as_ref().is_some_and(|d| d.ordered),
                "fhir",
            ),
        ]
        .into_iter()
        .flatten()
        .collect(),
        configured_flows: [
            some(cfg.lri_destination.is_some(), "vcf-to-lri"),
            some(cfg.fhir_destination.is_some(), "vcf-to-fhir"),
            some(cfg.lims.is_some(), "run-to-lims"),
            some(cfg.lims.is_some(), "qc-to-lims"),
        ]
        .into_iter()
        .flatten()
        .collect(),
    });
    let mut queue_tasks = Vec::new();
    for queue in pipeline::outbox::MessageQueue::configured(&cfg) {
        let name = if queue.kind == "lri" {
            "lri_delivery"
        } else {
            "fhir_delivery"
        };
        let task = tokio::spawn(pipeline::outbox::run_forever(
            engine.clone(),
            queue,
            shutdown(rx.clone()),
        ));
        listeners.watch(name, &task);
        queue_tasks.push(task);
    }
    let orders_task = match order_listener {
        Some(listener) => {
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%address, "order intake (MLLP) listening");
            println!("Order intake (MLLP) listening on {address}");
            let task = tokio::spawn(pipeline::serve_orders(
                engine.clone(),
                listener,
                shutdown(rx.clone()),
            ));
            listeners.watch("order_intake", &task);
            Some(task)
        }
        None => None,
    };
    let stop = stop_signal();
    tokio::spawn(async move {
        stop.await;
        let _ = tx.send(true);
        // Work in progress (a web request, an order being stored, a scan) gets this long.
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        eprintln!(
            "error: still busy {} s after the stop signal; exiting anyway",
            SHUTDOWN_GRACE.as_secs()
        );
        std::process::exit(1);
    });
    // The last line printed at start (tests wait for it): everything is bound by now.
    println!("GenoBridge listening on http://{listen}");
    crate::web::serve(
        store,
        web_listener,
        cfg.site_root.clone(),
        listeners,
        shutdown(rx),
    )
    .await
    .map_err(|e| format!("web server: {e}"))?;
    let _ = engine_task.await;
    let _ = lims_task.await;
    let _ = alerts_task.await;
    let _ = retention_task.await;
    let _ = anchors_task.await;
    for task in queue_tasks {
        let _ = task.await;
    }
    if let Some(task) = orders_task {
        let _ = task.await;
    }
    Ok(())
}
