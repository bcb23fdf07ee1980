//! The domain face of the clients: [`CceApi`] for [`CceClient`], converting
//! domain requests to wire bodies ([`super::body`], salting a login
//! password on the way) and wire responses to domain values
//! ([`super::convert`]). [`super::FleetClient`] routes the same calls.

use super::{CceClient, body, convert, salt};
use crate::api::{
    CceApi, CreatePool, JobState, ListedNode, LiveError, PoolState, ResetNodes, SyncNodes,
    UpdatePool,
};
use crate::model::{ClusterId, LivePool, NodeId, PoolId};

/// A login password salted as CCE requires (SHA-512 crypt under a fresh
/// salt, then base64): a plaintext password never leaves poolform.
fn salted(password: Option<&str>) -> Result<Option<String>, LiveError> {
    password
        .map(salt::salt_password)
        .transpose()
        .map_err(|_| LiveError::PasswordNotSalted)
}

impl CceApi for CceClient {
    async fn list_pools(&self, cluster: &ClusterId) -> Result<Vec<LivePool>, LiveError> {
        let pools = self.list_pools_wire(cluster).await?;
        Ok(pools.iter().map(convert::pool_from_wire).collect())
    }

    async fn show_pool(&self, cluster: &ClusterId, pool: &PoolId) -> Result<PoolState, LiveError> {
        let pool = self.show_pool_wire(cluster, pool).await?;
        Ok(convert::pool_state_from_wire(&pool))
    }

    async fn create_pool(
        &self,
        cluster: &ClusterId,
        request: &CreatePool,
        password: Option<&str>,
    ) -> Result<Option<PoolId>, LiveError> {
        let body = body::create_body(request, salted(password)?.as_deref());
        let pool = self.create_pool_wire(cluster, &body).await?;
        Ok(pool.metadata.uid.filter(|uid| !uid.is_empty()).map(PoolId))
    }

    async fn update_pool(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        request: &UpdatePool,
        password: Option<&str>,
    ) -> Result<(), LiveError> {
        let body = body::update_body(request, salted(password)?.as_deref());
        self.update_pool_wire(cluster, pool, &body).await.map(drop)
    }

    async fn delete_pool(&self, cluster: &ClusterId, pool: &PoolId) -> Result<(), LiveError> {
        self.delete_pool_wire(cluster, pool).await.map(drop)
    }

    async fn list_nodes(&self, cluster: &ClusterId) -> Result<Vec<ListedNode>, LiveError> {
        let nodes = self.list_nodes_wire(cluster).await?;
        Ok(nodes.iter().map(convert::listed_node_from_wire).collect())
    }

    async fn show_node(&self, cluster: &ClusterId, node: &NodeId) -> Result<ListedNode, LiveError> {
        let node = self.show_node_wire(cluster, node).await?;
        Ok(convert::listed_node_from_wire(&node))
    }

    async fn sync_nodes(
        &self,
        cluster: &ClusterId,
        pool: &PoolId,
        request: &SyncNodes,
        password: Option<&str>,
    ) -> Result<Option<String>, LiveError> {
        let body = body::sync_body(pool, request, salted(password)?.as_deref());
        self.sync_nodes_wire(cluster, pool, &body).await
    }

    async fn reset_nodes(
        &self,
        cluster: &ClusterId,
        request: &ResetNodes,
        password: Option<&str>,
    ) -> Result<String, LiveError> {
        let body = body::reset_body(request, salted(password)?.as_deref());
        self.reset_nodes_wire(cluster, &body).await
    }

    async fn show_job(&self, job: &str) -> Result<JobState, LiveError> {
        let job = self.show_job_wire(job).await?;
        Ok(convert::job_from_wire(&job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Login, PasswordRef};

    #[test]
    fn a_password_is_sent_salted_never_as_itself() {
        let request = SyncNodes {
            node_ids: vec![NodeId::from("n1")],
            login: Login {
                password: Some(PasswordRef {
                    username: "root".into(),
                    env: "NODE_PASSWORD".into(),
                }),
                ..Login::default()
            },
            ..SyncNodes::default()
        };
        let password = salted(Some("S3cret!pass")).expect("salted");
        let body = body::sync_body(&PoolId::from("p1"), &request, password.as_deref());
        let sent = body
            .spec
            .node_template
            .login
            .user_password
            .map(|user| user.password)
            .unwrap_or_default();
        // What is sent is base64 of a SHA-512 crypt of the password, never
        // the password itself.
        assert!(!sent.contains("S3cret!pass"));
        let crypt = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sent)
            .map(String::from_utf8)
            .expect("base64")
            .expect("utf-8");
        assert!(crypt.starts_with("$6$"), "{crypt}");
        sha_crypt::PasswordVerifier::verify_password(
            &sha_crypt::ShaCrypt::default(),
            b"S3cret!pass",
            crypt.as_str(),
        )
        .expect("verifies");
        assert_eq!(salted(None).expect("nothing to salt"), None);
    }
}
