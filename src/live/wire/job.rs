//! Jobs (`kind: Job`) and the `{"jobid"}` answer that starts one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"jobid": "..."}`, the answer to a sync or reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobIdResponse {
    /// The job to follow.
    #[serde(default)]
    pub jobid: String,
}

/// A job (`kind: Job`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// `Job`.
    #[serde(default)]
    pub kind: String,
    /// `v3`.
    #[serde(default)]
    pub api_version: String,
    /// Uid and timestamps.
    #[serde(default)]
    pub metadata: JobMetadata,
    /// What the job does.
    #[serde(default)]
    pub spec: JobSpec,
    /// Phase and reason.
    #[serde(default)]
    pub status: JobStatus,
}

/// `Job.metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMetadata {
    /// Job id.
    #[serde(default)]
    pub uid: String,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
}

/// `Job.spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// Job type.
    #[serde(default, rename = "type")]
    pub job_type: String,
    /// Cluster id.
    #[serde(default, rename = "clusterUID")]
    pub cluster_uid: String,
    /// The resource the job acts on.
    #[serde(default, rename = "resourceID")]
    pub resource_id: String,
    /// Its name.
    #[serde(default)]
    pub resource_name: String,
    /// Extra information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<BTreeMap<String, String>>,
    /// Sub-jobs (one per node for a sync).
    #[serde(default)]
    pub sub_jobs: Vec<Job>,
}

/// `Job.status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    /// `Initializing`, `Running`, `Failed`, `Success`.
    #[serde(default)]
    pub phase: String,
    /// Why it failed.
    #[serde(default)]
    pub reason: String,
}
