//! GenoBridge's integration core: formats, mappings, reports, messages, delivery, audit and
//! storage.
//! A plain library: no web framework, so the CLI, the server and tests all drive it alike.

pub mod alerts;
pub mod audit_export;
pub mod config;
pub mod delivery;
pub mod formats;
pub mod hl7;
pub mod mapping;
pub mod messages;
pub mod pipeline;
pub mod report;
pub mod store;
