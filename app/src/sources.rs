//! The source fields a mapping can read, per format: the schema (path, type, example) of
//! the newest input of each format that the engine has taken in. Server side only.

use crate::model::{SourceField, SourceSchema};
use engine::{formats::record, store::Store};
use serde_json::Value;

fn schema_of(format: &str, example_from: &str, tree: &Value) -> SourceSchema {
    SourceSchema {
        format: format.to_string(),
        example_from: example_from.to_string(),
        fields: record::schema(tree)
            .into_iter()
            .map(|f| {
                let mut example = f.example.to_string();
                if example.chars().count() > 80 {
                    example = example.chars().take(79).collect::<String>() + "…";
                }
                SourceField {
                    path: f.path,
                    ty: f.ty.to_string(),
                    example,
                }
            })
            .collect(),
    }
}

/// The newest run folder first, then each QC format's newest recorded export.
pub async fn collect(store: &Store) -> Result<Vec<SourceSchema>, String> {
    let mut out = Vec::new();
    if let Some(json) = store.latest_run_record().await.map_err(|e| e.to_string())? {
        let run: Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        // Runs recorded through the connector carry their whole tree under `record`.
        let tree = match run.get("record") {
            Some(t) if !t.is_null() => t,
            _ => &run,
        };
        let run_id = run["run_id"].as_str().unwrap_or_default();
        out.push(schema_of("illumina-run-folder", run_id, tree));
    }
    let files = store
        .newest_record_per_connector()
        .await
        .map_err(|e| e.to_string())?;
    for f in &files {
        let Some(tree) = f
            .record_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
        else {
            continue;
        };
        out.push(schema_of(
            &f.connector,
            &crate::model::file_name(&f.path),
            &tree,
        ));
    }
    Ok(out)
}
