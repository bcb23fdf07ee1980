//! The real CCE client against the simulator over a real socket: every
//! operation, pagination, authentication (AK/SK, token, IAM password), retries
//! on 429 and 5xx, malformed bodies, and the rule that a timed-out sync is
//! never sent twice.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use poolform::live::auth::{Credentials, IamPassword, Secret};
use poolform::live::client::{CceClient, ClientOptions, RetryPolicy, check_endpoint};
use poolform::live::fetch::{SyncProgress, fetch, fetch_pool_nodes, sync_progress};
use poolform::live::{LiveError, Service, convert, request, wire};
use poolform::model::{
    CloudSettings, ClusterId, ClusterName, DEFAULT_POOL_NAME, Desired, DesiredCluster, Login,
    NodeId, NodeTemplate, PoolId, Runtime, Volume,
};
use poolform::sim::{self, Faults, SimAuth, SimConfig, SimHandle, SimState};

const AK: &str = "AKPOOLFORMTEST";
const SK: &str = "SKPOOLFORMTEST-secret";
const CLUSTER: &str = "c-0001";

/// Deadline for anything the simulator does in simulated time.
const DEADLINE: Duration = Duration::from_secs(10);

fn template(os: &str) -> NodeTemplate {
    NodeTemplate {
        pool_type: "vm".into(),
        flavor: "c7.large.2".into(),
        az: "ap-southeast-1a".into(),
        os: os.into(),
        runtime: Runtime {
            name: "containerd".into(),
            runtime_class: None,
        },
        login: Login {
            ssh_key: Some("kp1".into()),
            ..Login::default()
        },
        root_volume: Volume {
            volume_type: "GPSSD".into(),
            size: 50,
            ..Volume::default()
        },
        ..NodeTemplate::default()
    }
}

fn pool_body(name: &str, count: u32) -> request::CreateNodePool {
    request::CreateNodePool {
        kind: "NodePool".into(),
        api_version: "v3".into(),
        metadata: request::PoolName { name: name.into() },
        spec: request::CreateNodePoolSpec {
            pool_type: "vm".into(),
            node_template: convert::create_template(&template("Huawei Cloud EulerOS 2.0")),
            initial_node_count: count,
            ..Default::default()
        },
    }
}

/// A simulator accepting [`AK`]/[`SK`], running 1000× faster than real time.
async fn start_sim(state: SimState) -> SimHandle {
    start_sim_with(state, SimAuth::none().with_aksk(AK, SK)).await
}

async fn start_sim_with(state: SimState, auth: SimAuth) -> SimHandle {
    let config = SimConfig {
        auth,
        time_scale: 1000.0,
        ..SimConfig::default()
    };
    sim::start(config, state).await.expect("simulator starts")
}

/// Client options for the simulator with small, fast retries.
fn options(sim: &SimHandle, credentials: Credentials) -> ClientOptions {
    let endpoint = check_endpoint(&sim.endpoint()).expect("loopback endpoint");
    let mut options = ClientOptions::new(endpoint, sim.project_id(), credentials);
    options.timeout = Duration::from_secs(5);
    options.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        throttle_window: Duration::ZERO,
    };
    options
}

fn signed_client(sim: &SimHandle) -> CceClient {
    CceClient::new(options(sim, Credentials::ak_sk(AK, SK))).expect("client")
}

/// What the client would send, as the API's JSON the simulator seeds from.
fn api_json(body: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(body).expect("json")
}

fn state_with_pool(name: &str, nodes: usize) -> (SimState, String) {
    let mut state = SimState::new();
    let id = state
        .add_pool_json(CLUSTER, &api_json(&pool_body(name, 0)), nodes)
        .expect("seed");
    (state, id)
}

/// Polls `probe` until it returns `Some`, failing the test at the deadline.
async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn cluster() -> ClusterId {
    ClusterId::from(CLUSTER)
}

#[tokio::test]
async fn every_pool_operation_round_trips_signed() {
    let sim = start_sim(SimState::new()).await;
    sim.update_state(|state| state.add_cluster(CLUSTER));
    let client = signed_client(&sim);

    let created = client
        .create_pool_wire(&cluster(), &pool_body("np-a", 2))
        .await
        .expect("create");
    let pool_id = PoolId(created.metadata.uid.clone().expect("uid assigned"));
    assert_eq!(created.metadata.name, "np-a");

    let pools = client.list_pools_wire(&cluster()).await.expect("list");
    assert!(
        pools
            .iter()
            .any(|pool| pool.metadata.uid.as_deref() == Some(pool_id.as_str())),
        "{pools:?}"
    );
    let shown = client
        .show_pool_wire(&cluster(), &pool_id)
        .await
        .expect("show");
    assert_eq!(shown.metadata.name, "np-a");
    assert_eq!(shown.spec.initial_node_count, Some(2));

    // The nodes come up in simulated time.
    let nodes = wait_for("two active nodes", || async {
        let nodes = fetch_pool_nodes(&client, &cluster(), &pool_id, "np-a")
            .await
            .expect("list nodes");
        (nodes.len() == 2 && nodes.iter().all(|n| n.phase.is_available())).then_some(nodes)
    })
    .await;
    let shown_node = client
        .show_node_wire(&cluster(), &nodes[0].id)
        .await
        .expect("show node");
    assert_eq!(shown_node.metadata.uid, nodes[0].id.as_str());

    // An update without a count must not scale the pool.
    let update = request::NodePoolUpdate {
        metadata: request::PoolName {
            name: "np-a".into(),
        },
        spec: request::NodePoolSpecUpdate {
            node_template: convert::update_template(&template("EulerOS 2.9")),
            ..Default::default()
        },
    };
    let updated = client
        .update_pool_wire(&cluster(), &pool_id, &update)
        .await
        .expect("update");
    assert_eq!(updated.spec.initial_node_count, Some(2));
    let put = sim
        .request_log()
        .into_iter()
        .find(|logged| logged.method == "PUT")
        .expect("PUT logged");
    assert_eq!(
        put.body
            .as_ref()
            .and_then(|b| b["spec"]["ignoreInitialNodeCount"].as_bool()),
        Some(true),
        "{put:?}"
    );
    let stale = wait_for("nodes marked out of date", || async {
        let nodes = fetch_pool_nodes(&client, &cluster(), &pool_id, "np-a")
            .await
            .expect("list nodes");
        nodes
            .iter()
            .all(|n| n.up_to_date == Some(false))
            .then_some(nodes)
    })
    .await;
    assert_eq!(stale.len(), 2);

    // Sync both nodes and follow the job to the end.
    let batch: Vec<NodeId> = stale.iter().map(|n| n.id.clone()).collect();
    let job_id = client
        .sync_nodes_wire(&cluster(), &pool_id, &sync_body(&pool_id, &batch))
        .await
        .expect("sync")
        .expect("the simulator answers with a job id");
    let job = wait_for("the sync job to finish", || async {
        let job = client.show_job_wire(&job_id).await.expect("show job");
        matches!(job.status.phase.as_str(), "Success" | "Failed").then_some(job)
    })
    .await;
    assert_eq!(job.status.phase, "Success", "{job:?}");
    assert_eq!(job.spec.sub_jobs.len(), 2);
    let nodes = fetch_pool_nodes(&client, &cluster(), &pool_id, "np-a")
        .await
        .expect("list nodes");
    assert_eq!(sync_progress(&nodes, &batch), SyncProgress::Done);

    client
        .delete_pool_wire(&cluster(), &pool_id)
        .await
        .expect("delete");
    wait_for("the pool to disappear", || async {
        match client.show_pool_wire(&cluster(), &pool_id).await {
            Err(error) if error.is_not_found() => Some(()),
            Ok(_) => None,
            Err(error) => panic!("unexpected error: {error}"),
        }
    })
    .await;
}

fn sync_body(pool: &PoolId, nodes: &[NodeId]) -> request::UpgradeNodePool {
    request::UpgradeNodePool {
        kind: "NodePool".into(),
        api_version: "v3".into(),
        spec: request::NodePoolUpgradeSpec {
            node_pool_id: pool.0.clone(),
            node_ids: nodes.iter().map(|n| n.0.clone()).collect(),
            max_unavailable: u32::try_from(nodes.len()).unwrap_or(1),
            force: false,
            node_template: request::UpgradeNodeTemplate {
                life_cycle: wire::LifeCycle::default(),
                login: wire::Login {
                    ssh_key: Some("kp1".into()),
                    ..Default::default()
                },
                volume_config: None,
            },
        },
    }
}

#[tokio::test]
async fn node_list_pages_through_at_least_three_pages() {
    let (state, pool_id) = state_with_pool("np-a", 7);
    let sim = start_sim(state).await;
    let mut options = options(&sim, Credentials::ak_sk(AK, SK));
    options.page_limit = 3;
    let client = CceClient::new(options).expect("client");

    let first = client
        .list_nodes_page(&cluster(), None)
        .await
        .expect("first page");
    assert_eq!(first.items.len(), 3);
    assert!(first.page_info.and_then(|p| p.next_marker).is_some());

    let nodes = client.list_nodes_wire(&cluster()).await.expect("all pages");
    let mut ids: Vec<&str> = nodes.iter().map(|n| n.metadata.uid.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7, "every node exactly once: {ids:?}");
    let expected: Vec<String> = sim
        .state()
        .pool_nodes(CLUSTER, &pool_id)
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn server_side_page_cap_is_followed() {
    let (state, _) = state_with_pool("np-a", 5);
    let config = SimConfig {
        auth: SimAuth::none().with_aksk(AK, SK),
        page_size_cap: Some(2),
        ..SimConfig::default()
    };
    let sim = sim::start(config, state).await.expect("simulator starts");
    let nodes = signed_client(&sim)
        .list_nodes_wire(&cluster())
        .await
        .expect("all pages");
    assert_eq!(nodes.len(), 5);
}

#[tokio::test]
async fn wrong_secret_key_is_rejected_with_a_clear_error() {
    let (state, _) = state_with_pool("np-a", 1);
    let sim = start_sim(state).await;
    let wrong = CceClient::new(options(&sim, Credentials::ak_sk(AK, "not-the-secret-key")))
        .expect("client");
    let error = wrong
        .list_pools_wire(&cluster())
        .await
        .expect_err("rejected");
    let LiveError::Api {
        service,
        status,
        code,
        message,
        request_id,
    } = &error
    else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(*service, Service::Cce);
    assert_eq!(*status, 401);
    assert_eq!(code.as_deref(), Some("APIG.0301"));
    assert!(message.contains("verify aksk signature fail"), "{message}");
    assert!(request_id.is_some());
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains("401") && shown.contains("APIG.0301"),
        "{shown}"
    );
    assert!(!shown.contains("not-the-secret-key"), "{shown}");
    assert!(
        error
            .hint()
            .is_some_and(|hint| hint.contains("CLOUD_SDK_SK"))
    );
    // Authentication failures are not retried into an AK lockout: one write
    // attempt, no effect.
    let pool = PoolId::from("whatever");
    let error = wrong
        .delete_pool_wire(&cluster(), &pool)
        .await
        .expect_err("rejected");
    assert_eq!(error.status(), Some(401));
    assert!(
        sim.request_log().is_empty(),
        "rejected requests have no effect"
    );
    // The right key works against the same simulator.
    assert_eq!(
        signed_client(&sim)
            .list_pools_wire(&cluster())
            .await
            .expect("ok")
            .len(),
        1
    );
}

#[tokio::test]
async fn temporary_keys_send_their_security_token() {
    let (state, _) = state_with_pool("np-a", 1);
    let sim = start_sim(state).await;
    let credentials = Credentials::AkSk {
        access_key: Secret::new(AK),
        secret_key: Secret::new(SK),
        security_token: Some(Secret::new("session-token")),
    };
    let client = CceClient::new(options(&sim, credentials)).expect("client");
    assert_eq!(
        client
            .list_pools_wire(&cluster())
            .await
            .expect("signed")
            .len(),
        1
    );
}

#[tokio::test]
async fn token_and_password_logins() {
    let (state, _) = state_with_pool("np-a", 1);
    let auth = SimAuth::none()
        .with_token("static-token")
        .with_user("alice", "correct horse");
    let sim = start_sim_with(state, auth).await;

    let token = CceClient::new(options(&sim, Credentials::token("static-token"))).expect("client");
    assert_eq!(
        token
            .list_pools_wire(&cluster())
            .await
            .expect("token")
            .len(),
        1
    );

    let bad_token = CceClient::new(options(&sim, Credentials::token("forged"))).expect("client");
    let error = bad_token
        .list_pools_wire(&cluster())
        .await
        .expect_err("forged");
    assert_eq!(error.status(), Some(401));
    assert!(!error.to_string().contains("forged"), "{error}");

    let login = |password: &str| {
        Credentials::Password(IamPassword {
            user: "alice".into(),
            password: Secret::new(password),
            domain: "acme".into(),
            endpoint: Some(sim.endpoint()),
        })
    };
    let password = CceClient::new(options(&sim, login("correct horse"))).expect("client");
    assert_eq!(
        password
            .list_pools_wire(&cluster())
            .await
            .expect("password")
            .len(),
        1
    );
    // The token is fetched once and reused.
    assert_eq!(
        password
            .list_pools_wire(&cluster())
            .await
            .expect("again")
            .len(),
        1
    );

    let wrong = CceClient::new(options(&sim, login("battery staple"))).expect("client");
    let error = wrong
        .list_pools_wire(&cluster())
        .await
        .expect_err("wrong password");
    assert_eq!(error.status(), Some(401), "{error}");
    assert!(!format!("{error} {error:?}").contains("battery staple"));
    // Only IAM was asked, and the error says so.
    assert_eq!(
        error.service(),
        Some(&Service::Iam {
            endpoint: sim.endpoint().into()
        })
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("IAM at {} answered HTTP 401", sim.endpoint())),
        "{error}"
    );
}

/// A `Retry-After` of an hour is not an hour of silence: the client waits at
/// most its retry policy's cap (here 20 ms), so apply's own deadlines and
/// cancellation stay in charge. Without the cap this waits an hour (the
/// guard below fails it after 30 s).
#[tokio::test]
async fn an_hour_long_retry_after_is_capped_by_the_retry_policy() {
    let (state, _) = state_with_pool("np-a", 1);
    let sim = start_sim(state).await;
    let client = signed_client(&sim);
    sim.set_faults(Faults {
        fail_next: vec![429],
        retry_after_secs: Some(3600),
        ..Faults::default()
    });
    let pools = tokio::time::timeout(Duration::from_secs(30), client.list_pools_wire(&cluster()))
        .await
        .expect("the throttled read is retried long before Retry-After says")
        .expect("the retry succeeds");
    assert_eq!(pools.len(), 1);
    assert!(sim.faults().fail_next.is_empty(), "the 429 was served");
}

#[tokio::test]
async fn throttled_twice_then_succeeds() {
    let (state, pool_id) = state_with_pool("np-a", 2);
    let sim = start_sim(state).await;
    let client = signed_client(&sim);

    sim.set_faults(Faults {
        fail_next: vec![429, 429],
        ..Faults::default()
    });
    let pools = client
        .list_pools_wire(&cluster())
        .await
        .expect("third attempt");
    assert_eq!(pools.len(), 1);
    assert!(sim.faults().fail_next.is_empty(), "both 429s were consumed");

    // 429 means "not processed", so writes are retried too.
    sim.set_faults(Faults {
        fail_next_writes: vec![429, 429],
        ..Faults::default()
    });
    let nodes = fetch_pool_nodes(&client, &cluster(), &PoolId(pool_id.clone()), "np-a")
        .await
        .expect("nodes");
    let batch: Vec<NodeId> = nodes.iter().map(|n| n.id.clone()).collect();
    let job = client
        .sync_nodes_wire(
            &cluster(),
            &PoolId(pool_id.clone()),
            &sync_body(&PoolId(pool_id), &batch),
        )
        .await
        .expect("third attempt");
    assert!(job.is_some_and(|id| !id.is_empty()));
    let statuses: Vec<u16> = sim
        .request_log()
        .iter()
        .filter(|logged| logged.path.contains("/operation/upgrade"))
        .map(|logged| logged.status)
        .collect();
    assert_eq!(statuses, vec![429, 429, 200]);
}

#[tokio::test]
async fn server_errors_until_retries_run_out() {
    let (state, pool_id) = state_with_pool("np-a", 1);
    let sim = start_sim(state).await;
    let client = signed_client(&sim);
    sim.set_faults(Faults {
        fail_next: vec![500; 10],
        ..Faults::default()
    });
    let error = client
        .list_pools_wire(&cluster())
        .await
        .expect_err("gave up");
    let LiveError::Api {
        status,
        code: Some(code),
        request_id: Some(request_id),
        ..
    } = &error
    else {
        panic!("expected an API error with code and request id, got {error:?}");
    };
    assert_eq!(*status, 500);
    let shown = error.to_string();
    assert!(
        shown.contains("HTTP 500")
            && shown.contains(code.as_str())
            && shown.contains(request_id.as_str()),
        "{shown}"
    );
    // Exactly max_attempts (4) reads were made.
    assert_eq!(sim.faults().fail_next.len(), 6);

    // A write that failed with 5xx is not retried: it may have been done.
    sim.set_faults(Faults {
        fail_next_writes: vec![500, 500],
        ..Faults::default()
    });
    let update = request::NodePoolUpdate {
        metadata: request::PoolName {
            name: "np-a".into(),
        },
        spec: request::NodePoolSpecUpdate {
            node_template: convert::update_template(&template("Huawei Cloud EulerOS 2.0")),
            ..Default::default()
        },
    };
    let error = client
        .update_pool_wire(&cluster(), &PoolId(pool_id), &update)
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(sim.faults().fail_next_writes, vec![500]);
}

#[tokio::test]
async fn malformed_body_is_a_clear_error() {
    let (state, _) = state_with_pool("np-a", 3);
    let sim = start_sim(state).await;
    let client = signed_client(&sim);
    sim.set_faults(Faults {
        malformed_next: 1,
        ..Faults::default()
    });
    let error = client
        .list_nodes_wire(&cluster())
        .await
        .expect_err("cut short");
    assert!(matches!(error, LiveError::Decode { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("malformed ListNodes response from CCE:"),
        "{error}"
    );
    // The next read is fine again.
    assert_eq!(
        client.list_nodes_wire(&cluster()).await.expect("ok").len(),
        3
    );
}

#[tokio::test]
async fn timed_out_sync_is_not_sent_twice() {
    let (state, pool_id) = state_with_pool("np-a", 2);
    let sim = start_sim(state).await;
    let pool_id = PoolId(pool_id);
    let mut options = options(&sim, Credentials::ak_sk(AK, SK));
    options.timeout = Duration::from_millis(200);
    let client = CceClient::new(options).expect("client");
    let nodes = fetch_pool_nodes(&client, &cluster(), &pool_id, "np-a")
        .await
        .expect("nodes");
    let batch: Vec<NodeId> = nodes.iter().map(|n| n.id.clone()).collect();

    // The simulator carries the sync out but answers after the timeout.
    sim.set_faults(Faults {
        slow_next_writes: vec![1_000],
        ..Faults::default()
    });
    let error = client
        .sync_nodes_wire(&cluster(), &pool_id, &sync_body(&pool_id, &batch))
        .await
        .expect_err("timed out");
    assert!(error.is_outcome_unknown(), "{error:?}");
    assert!(error.to_string().contains("UpgradeNodePool"), "{error}");

    // Re-reading shows the sync was accepted; the POST was sent once.
    let progress = wait_for("the sync to show on the nodes", || async {
        let nodes = fetch_pool_nodes(&client, &cluster(), &pool_id, "np-a")
            .await
            .expect("nodes");
        let progress = sync_progress(&nodes, &batch);
        (progress != SyncProgress::Untouched).then_some(progress)
    })
    .await;
    assert!(
        matches!(progress, SyncProgress::InProgress | SyncProgress::Done),
        "{progress:?}"
    );
    // Every UpgradeNodePool that reaches the simulator creates a job (it
    // does not refuse overlapping syncs), so one job means one POST. A
    // re-send would have been answered before `sync_nodes` returned.
    let sync_jobs = sim
        .state()
        .jobs
        .values()
        .filter(|job| job.job_type == "UpgradeNodePool")
        .count();
    assert_eq!(sync_jobs, 1);
    // The request log agrees: the simulator logs a write before it delays
    // the answer, so the timed-out POST is there, exactly once.
    let posts = sim
        .request_log()
        .iter()
        .filter(|logged| logged.method == "POST" && logged.path.contains("/operation/upgrade"))
        .count();
    assert_eq!(posts, 1, "{posts} sync POSTs logged");
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    // A port that was just free: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let endpoint = check_endpoint(&format!("http://{address}")).expect("loopback");
    let mut options = ClientOptions::new(endpoint, "p", Credentials::ak_sk(AK, SK));
    options.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        throttle_window: Duration::ZERO,
    };
    let client = CceClient::new(options).expect("client");
    let error = client
        .list_pools_wire(&cluster())
        .await
        .expect_err("refused");
    assert!(matches!(error, LiveError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains("ListNodePools"), "{error}");
}

fn desired(clusters: &[(&str, &str)]) -> Desired {
    Desired {
        cloud: CloudSettings::default(),
        clusters: clusters
            .iter()
            .map(|(name, id)| {
                (
                    ClusterName::from(*name),
                    DesiredCluster {
                        name: ClusterName::from(*name),
                        id: ClusterId::from(*id),
                        max_unavailable: None,
                        cloud: CloudSettings::default(),
                    },
                )
            })
            .collect(),
        pools: BTreeMap::new(),
        digest: String::new(),
    }
}

#[tokio::test]
async fn fetch_reads_every_cluster_with_default_pool_nodes() {
    let mut state = SimState::new();
    let pool_a = state
        .add_pool_json("c-prod", &api_json(&pool_body("np-a", 0)), 3)
        .expect("seed");
    state
        .add_pool_json("c-prod", &api_json(&pool_body("np-b", 0)), 2)
        .expect("seed");
    state
        .add_default_nodes_json(
            "c-prod",
            &api_json(&convert::template_to_wire(&template("EulerOS 2.9"), None)),
            2,
        )
        .expect("seed");
    state
        .add_pool_json("c-dev", &api_json(&pool_body("np-a", 0)), 1)
        .expect("seed");
    let sim = start_sim(state).await;
    let mut options = options(&sim, Credentials::ak_sk(AK, SK));
    options.page_limit = 2;
    let client = CceClient::new(options).expect("client");

    let live = fetch(
        &client,
        &desired(&[("prod", "c-prod"), ("dev", "c-dev")]).cluster_ids(),
        2,
    )
    .await
    .expect("fetch");
    let prod = &live.clusters[&ClusterName::from("prod")];
    assert_eq!(prod.id.as_str(), "c-prod");
    let np_a = &prod.pools["np-a"];
    assert_eq!(np_a.id.as_str(), pool_a);
    assert_eq!(np_a.nodes.len(), 3);
    let ids: Vec<&str> = np_a.nodes.iter().map(|n| n.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "nodes sorted by id");
    assert_eq!(prod.pools["np-b"].nodes.len(), 2);
    assert_eq!(prod.pools[DEFAULT_POOL_NAME].nodes.len(), 2);
    assert!(prod.orphan_nodes.is_empty());
    // What the client sent reads back; CCE's decorations (the system
    // label, placeholders, extra extendParam keys) are the diff's to ignore.
    let sent = template("Huawei Cloud EulerOS 2.0");
    assert_eq!(np_a.template.os, sent.os);
    assert_eq!(np_a.template.flavor, sent.flavor);
    assert_eq!(np_a.template.az, sent.az);
    assert_eq!(np_a.template.login, sent.login);
    assert_eq!(np_a.template.runtime, sent.runtime);
    assert_eq!(np_a.template.root_volume, sent.root_volume);
    assert_eq!(
        np_a.template.k8s_labels, sent.k8s_labels,
        "system label stripped"
    );
    let dev = &live.clusters[&ClusterName::from("dev")];
    assert_eq!(dev.pools["np-a"].nodes.len(), 1);
    assert!(!dev.pools.contains_key(DEFAULT_POOL_NAME));
}

#[tokio::test]
async fn fetch_names_the_failing_cluster() {
    let (state, _) = state_with_pool("np-a", 1);
    let sim = start_sim(state).await;
    let client = signed_client(&sim);
    let error = fetch(
        &client,
        &desired(&[("prod", CLUSTER), ("typo", "c-does-not-exist")]).cluster_ids(),
        4,
    )
    .await
    .expect_err("unknown cluster");
    assert!(error.is_not_found(), "{error:?}");
    let shown = error.to_string();
    assert!(
        shown.starts_with("cluster typo (c-does-not-exist): CCE answered HTTP 404"),
        "{shown}"
    );
}

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs, once, a global subscriber that records every event of the test
/// binary at TRACE level. Global rather than thread-local: a thread-local
/// subscriber misses events whose callsite interest another test thread
/// cached first.
fn captured_logs() -> &'static CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(logs.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber in the integration tests");
        logs
    })
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let logs = captured_logs();
    // A cluster id of its own marks this test's lines among everyone's.
    const MARKED: &str = "c-secrets-test";
    let mut state = SimState::new();
    state
        .add_pool_json(MARKED, &api_json(&pool_body("np-a", 0)), 2)
        .expect("seed");
    let auth = SimAuth::none()
        .with_aksk(AK, SK)
        .with_token("static-token-value")
        .with_user("alice", "password-value");
    let sim = start_sim_with(state, auth).await;
    sim.set_faults(Faults {
        fail_next: vec![429, 500],
        ..Faults::default()
    });
    let temporary = Credentials::AkSk {
        access_key: Secret::new(AK),
        secret_key: Secret::new(SK),
        security_token: Some(Secret::new("security-token-value")),
    };
    let password = Credentials::Password(IamPassword {
        user: "alice".into(),
        password: Secret::new("password-value"),
        domain: "acme".into(),
        endpoint: Some(sim.endpoint()),
    });
    for credentials in [
        temporary,
        Credentials::token("static-token-value"),
        password,
        Credentials::ak_sk(AK, "wrong-secret-value"),
    ] {
        let client = CceClient::new(options(&sim, credentials)).expect("client");
        // Successes, retries and failures alike.
        let _ = client.list_nodes_wire(&ClusterId::from(MARKED)).await;
        let _ = client.show_job_wire("no-such-job").await;
    }

    let text = String::from_utf8_lossy(&logs.0.lock().expect("not poisoned")).into_owned();
    assert!(
        text.lines()
            .any(|line| line.contains("retrying") && line.contains(MARKED)),
        "this test's retries were logged"
    );
    for secret in [
        SK,
        "wrong-secret-value",
        "security-token-value",
        "static-token-value",
        "password-value",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the logs");
    }
}

/// Runs `count` ListNodePools at once through `client`; all must succeed.
async fn burst(client: &CceClient, count: usize) {
    let cluster = cluster();
    let reads = (0..count).map(|_| client.list_pools_wire(&cluster));
    for result in futures::future::join_all(reads).await {
        result.expect("every read gets through in the end");
    }
}

#[tokio::test]
async fn throttling_shrinks_the_requests_in_flight_and_they_recover_after() {
    let mut config = SimConfig {
        // Long enough that a burst is really in flight at once.
        latency: Duration::from_millis(20),
        faults: Faults {
            // CCE's own throttling, which names no quota: the limit and the
            // pace learn from the answers alone.
            rate_limit: Some(sim::RateLimit {
                requests: 20,
                window_ms: 100,
                names_quota: false,
            }),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    config.auth.enabled = false;
    let mut state = SimState::new();
    state.add_cluster(CLUSTER);
    let sim = sim::start(config, state).await.expect("simulator starts");
    let mut options = options(&sim, Credentials::token("t"));
    options.retry.throttle_window = Duration::from_secs(30);
    let client = CceClient::new(options).expect("client");
    let start_limit = client.limit().limit();
    assert_eq!(start_limit, 64);

    // The first burst goes out at the starting limit and is throttled. (The
    // quota's successes may raise the limit before the 429s come back, so
    // the peak may pass the start.)
    burst(&client, 128).await;
    let first_peak = sim.in_flight_peak();
    assert!(
        first_peak >= start_limit,
        "the first burst is sent at the starting limit: {first_peak}"
    );
    assert!(sim.requests_rate_limited() > 0, "the quota was hit");
    let after_throttling = client.limit().limit();
    assert!(
        after_throttling < start_limit,
        "throttling lowered the limit ({after_throttling})"
    );

    // Still throttled: the server sees fewer requests at once.
    sim.reset_in_flight_peak();
    burst(&client, 128).await;
    let throttled_peak = sim.in_flight_peak();
    assert!(
        throttled_peak < first_peak,
        "in flight under throttling: {throttled_peak}, before: {first_peak}"
    );

    // The quota lifted: the limit climbs back to the cap, and the server
    // sees as many requests at once as at the start.
    sim.set_faults(Faults::default());
    let mut bursts = 0;
    while client.limit().limit() < start_limit {
        bursts += 1;
        assert!(
            bursts <= 50,
            "the limit did not recover: {}",
            client.limit().limit()
        );
        burst(&client, 128).await;
    }
    sim.reset_in_flight_peak();
    burst(&client, 128).await;
    let recovered_peak = sim.in_flight_peak();
    assert!(
        recovered_peak > throttled_peak,
        "in flight after recovery: {recovered_peak}, under throttling: {throttled_peak}"
    );
    sim.shutdown().await.expect("simulator stops");
}

/// A simulator whose gateway takes 20 requests per 250 ms (long enough
/// that a loaded machine still sends a cold burst within one window), naming
/// that quota when it refuses or not, and a client of it.
async fn behind_a_quota_of_20_per_250_ms(names_quota: bool) -> (SimHandle, CceClient) {
    let mut config = SimConfig {
        latency: Duration::from_millis(5),
        faults: Faults {
            rate_limit: Some(sim::RateLimit {
                requests: 20,
                window_ms: 250,
                names_quota,
            }),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    config.auth.enabled = false;
    let mut state = SimState::new();
    state.add_cluster(CLUSTER);
    let sim = sim::start(config, state).await.expect("simulator starts");
    let mut options = options(&sim, Credentials::token("t"));
    options.retry.throttle_window = Duration::from_secs(60);
    let client = CceClient::new(options).expect("client");
    (sim, client)
}

#[tokio::test]
async fn once_it_has_met_the_quota_a_client_paces_itself_and_is_rarely_throttled_again() {
    // Learnt from the answers alone: the quota is not named.
    let (sim, client) = behind_a_quota_of_20_per_250_ms(false).await;

    // Cold, the client sends the whole burst at once: most of it is
    // refused, since no client can know a quota before meeting it.
    burst(&client, 100).await;
    let cold = sim.requests_rate_limited();
    assert!(cold >= 20, "the cold burst met the quota: {cold} throttled");
    assert!(
        client.pace().snapshot().rate().is_some(),
        "the client paces"
    );

    // Then it sends at the rate it learnt: twice as many requests meet a
    // small fraction of the refusals.
    let served = sim.requests_served();
    burst(&client, 100).await;
    burst(&client, 100).await;
    let paced = sim.requests_rate_limited() - cold;
    let sent = sim.requests_served() - served;
    assert!(
        paced * 4 < cold,
        "paced: {paced} of {sent} requests throttled; cold: {cold} of the first 100"
    );
    sim.shutdown().await.expect("simulator stops");
}

#[tokio::test]
async fn a_client_told_its_quota_by_the_gateway_paces_under_it_and_is_not_throttled_again() {
    let (sim, client) = behind_a_quota_of_20_per_250_ms(true).await;

    burst(&client, 100).await;
    let cold = sim.requests_rate_limited();
    assert!(cold >= 20, "the cold burst met the quota: {cold} throttled");
    let pace = client.pace().snapshot();
    assert_eq!(
        pace.told_quota(),
        Some(poolform::live::pace::Quota {
            requests: 20,
            per: Duration::from_millis(250),
        }),
        "the gateway's answer named the quota"
    );
    // 19 a window of 250 ms, or less should the quota have refused a
    // request of the burst's tail after the reopening (it is then shared).
    let rate = pace.rate().expect("paced");
    assert!(
        rate > 0.0 && rate <= 76.0 + 1e-9,
        "paced under the quota: {rate}"
    );

    // Paced just under the quota, 200 more requests meet no refusal (one
    // at most, should a loaded machine bunch two sends at a window's edge).
    burst(&client, 100).await;
    burst(&client, 100).await;
    let paced = sim.requests_rate_limited() - cold;
    assert!(
        paced <= 1,
        "paced: {paced} throttled after being told the quota"
    );
    sim.shutdown().await.expect("simulator stops");
}
