//! GenoBridge's integration core.
