//! The wire bodies of the domain requests: what the client sends for a
//! [`CreatePool`], an [`UpdatePool`], a [`SyncNodes`] and a [`ResetNodes`],
//! shaped like the SDK's request models ([`super::request`]).
//!
//! Pure. `salted_password` is the login password already salted as CCE
//! requires (SHA-512 crypt, then base64; see [`super::salt`]), or `None`,
//! which leaves a password login's password empty: the form the contract
//! test and the unit tests check.

use super::{convert, request, wire};
use crate::api::{CreatePool, ResetNodes, SyncNodes, UpdatePool};
use crate::model::{Login, PoolId};

/// Puts the salted password into a login that asks for one.
fn with_password(login: &mut wire::Login, salted_password: Option<&str>) {
    if let (Some(password), Some(user)) = (salted_password, login.user_password.as_mut()) {
        password.clone_into(&mut user.password);
    }
}

/// The CreateNodePool body. Without `node_count` a new pool starts at the
/// autoscaler's minimum, or empty.
pub fn create_body(request: &CreatePool, salted_password: Option<&str>) -> request::CreateNodePool {
    let pool = &request.pool;
    let mut body = request::CreateNodePool {
        kind: "NodePool".to_owned(),
        api_version: "v3".to_owned(),
        metadata: request::PoolName {
            name: pool.name.clone(),
        },
        spec: request::CreateNodePoolSpec {
            pool_type: pool.template.pool_type.clone(),
            node_template: convert::create_template(&pool.template),
            initial_node_count: request.initial_node_count(),
            autoscaling: pool.autoscaling.as_ref().map(convert::autoscaling_to_wire),
            node_management: pool
                .server_group
                .as_ref()
                .map(|group| wire::NodeManagement {
                    server_group_reference: Some(group.clone()),
                }),
        },
    };
    with_password(&mut body.spec.node_template.login, salted_password);
    body
}

/// The UpdateNodePool body (SDK `NodePoolUpdate`): the template under the
/// update's own names, `ignoreInitialNodeCount: true` unless the
/// configuration manages `node_count` (an update never scales the pool by
/// accident), the server group as `nodeManagementUpdate`, and the `refresh`
/// policy for labels, taints and resource tags when the update changes
/// them, so that CCE pushes them to the existing nodes without a reset.
pub fn update_body(request: &UpdatePool, salted_password: Option<&str>) -> request::NodePoolUpdate {
    let pool = &request.pool;
    let refresh = |path: &str| request.changes(path).then(|| request::REFRESH.to_owned());
    let mut body = request::NodePoolUpdate {
        metadata: request::PoolName {
            name: pool.name.clone(),
        },
        spec: request::NodePoolSpecUpdate {
            node_template: convert::update_template(&pool.template),
            initial_node_count: pool.node_count,
            ignore_initial_node_count: pool.node_count.is_none(),
            autoscaling: pool.autoscaling.as_ref().map(convert::autoscaling_to_wire),
            node_management_update: pool
                .server_group
                .as_ref()
                .map(|group| wire::NodeManagement {
                    server_group_reference: Some(group.clone()),
                }),
            taint_policy_on_existing_nodes: refresh("taints"),
            label_policy_on_existing_nodes: refresh("k8s_labels"),
            user_tags_policy_on_existing_nodes: refresh("user_tags"),
        },
    };
    with_password(&mut body.spec.node_template.login, salted_password);
    body
}

/// A sync's login: the remove flags belong to pool updates only.
fn sync_login(login: &Login, salted_password: Option<&str>) -> wire::Login {
    let mut login = convert::login_to_wire(login, None);
    login.remove_user_password = None;
    login.remove_ssh_key = None;
    with_password(&mut login, salted_password);
    login
}

/// The UpgradeNodePool body of one batch: exactly its nodes, at most that
/// many at once, with the desired scripts, login and volume reset policy.
pub fn sync_body(
    pool_id: &PoolId,
    request: &SyncNodes,
    salted_password: Option<&str>,
) -> request::UpgradeNodePool {
    request::UpgradeNodePool {
        kind: "NodePool".to_owned(),
        api_version: "v3".to_owned(),
        spec: request::NodePoolUpgradeSpec {
            node_pool_id: pool_id.0.clone(),
            node_ids: request.node_ids.iter().map(|id| id.0.clone()).collect(),
            max_unavailable: u32::try_from(request.node_ids.len()).unwrap_or(u32::MAX),
            force: request.force,
            node_template: request::UpgradeNodeTemplate {
                life_cycle: convert::lifecycle_to_wire(&request.lifecycle),
                login: sync_login(&request.login, salted_password),
                volume_config: request
                    .volume_reset_policy
                    .map(|policy| request::VolumeConfig {
                        volume_reset_policy: policy.as_str().to_owned(),
                    }),
            },
        },
    }
}

/// The ResetNode body: the nodes, each with the pool's OS (the API requires
/// it) and the sync's login.
pub fn reset_body(request: &ResetNodes, salted_password: Option<&str>) -> request::ResetNodeList {
    let login = sync_login(&request.login, salted_password);
    request::ResetNodeList {
        kind: "List".to_owned(),
        api_version: "v3".to_owned(),
        node_list: request
            .node_ids
            .iter()
            .map(|node| request::ResetNode {
                node_id: node.0.clone(),
                spec: request::ReinstallNodeSpec {
                    os: request.os.clone(),
                    login: login.clone(),
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    //! The wire side of the plan's requests (`plan::build`'s tests check
    //! the requests themselves): each body as the client sends it.
    use super::*;
    use crate::model::test_support::*;
    use crate::model::{DesiredPool, NodeId, PasswordRef, PoolAddress};

    fn app() -> DesiredPool {
        let (desired, _) = world();
        desired.pools[&PoolAddress::from("prod-app")].clone()
    }

    fn update(pool: &DesiredPool, changed: &[&str]) -> request::NodePoolUpdate {
        let changed = changed.iter().map(|path| (*path).to_owned()).collect();
        update_body(&UpdatePool::of(pool, changed), None)
    }

    #[test]
    fn an_update_ignores_an_unmanaged_count_and_encodes_the_scripts() {
        let mut pool = app();
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let body = update(&pool, &["lifecycle.post_install"]);
        assert!(body.spec.ignore_initial_node_count);
        assert_eq!(body.spec.initial_node_count, None);
        let extend = body.spec.node_template.extend_param.clone();
        assert!(!extend.contains_key("maxPods"), "{extend:?}");
        assert_eq!(
            extend.get(convert::POST_INSTALL_KEY),
            Some(&serde_json::json!(convert::encode_script("echo v2\n")))
        );
        pool.node_count = Some(8);
        let body = update(&pool, &["node_count"]);
        assert!(!body.spec.ignore_initial_node_count);
        assert_eq!(body.spec.initial_node_count, Some(8));
    }

    #[test]
    fn a_sync_sends_exactly_its_nodes_with_the_scripts_and_login() {
        let mut pool = app();
        pool.template.lifecycle.post_install = Some("echo v2\n".into());
        let nodes = [NodeId::from("app-a1-id"), NodeId::from("app-b1-id")];
        let body = sync_body(
            &PoolId::from("app-pool-id"),
            &SyncNodes::of(&pool, &nodes),
            None,
        );
        assert_eq!(body.spec.max_unavailable, 2);
        assert_eq!(body.spec.node_ids, ["app-a1-id", "app-b1-id"]);
        assert_eq!(body.spec.node_pool_id, "app-pool-id");
        let template = &body.spec.node_template;
        assert_eq!(
            template.life_cycle.post_install.as_deref(),
            Some(convert::encode_script("echo v2\n").as_str())
        );
        assert_eq!(template.login.ssh_key.as_deref(), Some("kp-prod"));
    }

    proptest::proptest! {
        /// For any batch, the UpgradeNodePool body as sent resets exactly the
        /// batch's nodes, all at once: `maxUnavailable` is their count and
        /// `nodeIDs` names them, in order. (The plan's proptests check the
        /// batches; this is where a batch becomes a body.)
        #[test]
        fn a_sync_body_names_exactly_its_batch_and_resets_it_at_once(
            ids in proptest::collection::btree_set("[a-z0-9-]{1,36}", 1..=40),
        ) {
            let nodes: Vec<NodeId> = ids.iter().map(|id| NodeId::from(id.as_str())).collect();
            let body = sync_body(
                &PoolId::from("app-pool-id"),
                &SyncNodes::of(&app(), &nodes),
                None,
            );
            let sent = serde_json::to_value(&body).expect("serialises");
            proptest::prop_assert_eq!(
                &sent["spec"]["maxUnavailable"],
                &serde_json::json!(nodes.len())
            );
            proptest::prop_assert_eq!(
                &sent["spec"]["nodeIDs"],
                &serde_json::json!(ids.iter().collect::<Vec<_>>())
            );
        }
    }

    #[test]
    fn password_login_has_no_secret_in_bodies() {
        let mut pool = app();
        pool.template.login = crate::model::Login {
            password: Some(PasswordRef {
                username: "root".into(),
                env: "NODE_PASSWORD".into(),
            }),
            ..Default::default()
        };
        let logins = [
            create_body(&CreatePool::of(&pool), None)
                .spec
                .node_template
                .login,
            update(&pool, &[]).spec.node_template.login,
            sync_body(&PoolId::from("p"), &SyncNodes::of(&pool, &[]), None)
                .spec
                .node_template
                .login,
        ];
        for login in logins {
            let password = login.user_password.expect("password login");
            assert_eq!(password.password, "");
        }
    }

    #[test]
    fn update_body_uses_the_update_models_names_and_nothing_create_only() {
        let mut pool = app();
        pool.template.data_volumes[0].size = 200;
        pool.template.nic = Some(crate::model::NicSpec {
            subnet_id: Some("subnet-1".into()),
            fixed_ips: vec!["10.0.0.5".into()],
            ..crate::model::NicSpec::default()
        });
        let body = serde_json::to_value(update(&pool, &[])).expect("json");
        let template = &body["spec"]["nodeTemplate"];
        for key in ["rootVolumeUpdate", "dataVolumesUpdate", "nodeNicSpecUpdate"] {
            assert!(template.get(key).is_some(), "{key} missing: {template}");
        }
        for key in [
            "rootVolume",
            "dataVolumes",
            "nodeNicSpec",
            "billingMode",
            "flavor",
            "az",
        ] {
            assert!(template.get(key).is_none(), "{key} sent: {template}");
        }
        assert_eq!(template["dataVolumesUpdate"][0]["size"], 200);
        assert_eq!(
            template["nodeNicSpecUpdate"],
            serde_json::json!({"primaryNic": {"subnetId": "subnet-1"}})
        );
        let extend = template["extendParam"].as_object().expect("extendParam");
        assert!(
            extend
                .keys()
                .all(|key| convert::UPDATE_EXTEND_PARAMS.contains(&key.as_str())),
            "{extend:?}"
        );
    }

    #[test]
    fn labels_taints_and_tags_are_pushed_with_refresh_only_when_they_change() {
        let pool = app();
        let body = update(&pool, &["k8s_labels", "taints", "user_tags"]);
        assert_eq!(
            body.spec.label_policy_on_existing_nodes.as_deref(),
            Some("refresh")
        );
        assert_eq!(
            body.spec.taint_policy_on_existing_nodes.as_deref(),
            Some("refresh")
        );
        assert_eq!(
            body.spec.user_tags_policy_on_existing_nodes.as_deref(),
            Some("refresh")
        );
        let body = update(&pool, &["lifecycle.post_install"]);
        assert_eq!(body.spec.label_policy_on_existing_nodes, None);
        assert_eq!(body.spec.taint_policy_on_existing_nodes, None);
        assert_eq!(body.spec.user_tags_policy_on_existing_nodes, None);
    }

    #[test]
    fn server_group_goes_out_as_node_management_update() {
        let mut pool = app();
        pool.server_group = Some("sg-new".into());
        let json = serde_json::to_value(update(&pool, &["server_group"])).expect("json");
        assert_eq!(
            json["spec"]["nodeManagementUpdate"],
            serde_json::json!({"serverGroupReference": "sg-new"})
        );
    }

    #[test]
    fn sync_body_carries_the_volume_reset_policy() {
        let mut pool = app();
        pool.rollout.volume_reset_policy =
            Some(crate::model::VolumeResetPolicy::RetainCustomVolumes);
        let body = sync_body(&PoolId::from("p"), &SyncNodes::of(&pool, &[]), None);
        let json = serde_json::to_value(&body).expect("json");
        assert_eq!(
            json["spec"]["nodeTemplate"]["volumeConfig"],
            serde_json::json!({"volumeResetPolicy": "retain_custom_volumes"})
        );
        pool.rollout.volume_reset_policy = None;
        let body = sync_body(&PoolId::from("p"), &SyncNodes::of(&pool, &[]), None);
        assert_eq!(body.spec.node_template.volume_config, None);
    }
}
