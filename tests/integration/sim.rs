//! The simulator over a real socket, driven with raw HTTP (reqwest): the CCE
//! API's behaviour, authentication, faults, the control endpoints and the
//! `poolform sim serve` binary. The client-against-simulator tests live
//! with the client.

use std::time::{Duration, Instant};

use poolform::live::wire;
use poolform::sign;
use poolform::sim::{self, Faults, SimAuth, SimConfig, SimHandle, SimState, api};
use serde_json::{Value, json};

const CLUSTER: &str = "c1";
const PROJECT: &str = "sim-project";

fn template(os: &str) -> api::NodeTemplate {
    api::NodeTemplate {
        flavor: Some("c7.large.2".into()),
        az: Some("az-a,az-b,az-c".into()),
        os: Some(os.into()),
        login: Some(api::Login {
            ssh_key: Some("kp1".into()),
            ..Default::default()
        }),
        runtime: Some(api::Runtime {
            name: "containerd".into(),
            runtime_class: None,
        }),
        root_volume: Some(api::Volume {
            size: 50,
            volumetype: "GPSSD".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pool(name: &str) -> api::NodePool {
    api::NodePool {
        metadata: api::NodePoolMetadata {
            name: name.into(),
            ..Default::default()
        },
        spec: api::NodePoolSpec {
            node_template: template("EulerOS 2.9"),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A running simulator and a plain HTTP client for it.
struct Sim {
    handle: SimHandle,
    http: reqwest::Client,
}

impl Sim {
    async fn start(config: SimConfig, state: SimState) -> Self {
        let handle = sim::start(config, state).await.expect("simulator starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client builds");
        Self { handle, http }
    }

    /// A simulator with one pool of `nodes` nodes; returns the pool id.
    async fn with_pool(config: SimConfig, nodes: usize) -> (Self, String) {
        let mut state = SimState::new();
        let pool_id = state.add_pool(CLUSTER, pool("np"), nodes);
        (Self::start(config, state).await, pool_id)
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/api/v3/projects/{PROJECT}/{}",
            self.handle.endpoint(),
            path.trim_start_matches('/')
        )
    }

    fn control(&self, path: &str) -> String {
        format!("{}/_sim/{path}", self.handle.endpoint())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json body")
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    async fn nodes(&self) -> Vec<wire::Node> {
        let list: wire::List<wire::Node> =
            serde_json::from_value(self.get_json(&format!("clusters/{CLUSTER}/nodes")).await)
                .expect("a node list");
        list.items
    }

    async fn sync(&self, pool_id: &str, node_ids: &[String], max_unavailable: u32) -> String {
        let response = self
            .send(
                reqwest::Method::POST,
                &format!("clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade"),
                &json!({"kind": "NodePool", "apiVersion": "v3", "spec": {
                    "nodePoolID": pool_id, "nodeIDs": node_ids, "maxUnavailable": max_unavailable,
                    "nodeTemplate": {"lifeCycle": {}, "login": {"sshKey": "kp1"}}}}),
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: wire::JobIdResponse = response.json().await.expect("jobid");
        body.jobid
    }

    /// Polls the job until it is `Success` or `Failed`, within `deadline`.
    async fn wait_job(&self, job_id: &str, deadline: Duration) -> wire::Job {
        let until = Instant::now() + deadline;
        loop {
            let job: wire::Job =
                serde_json::from_value(self.get_json(&format!("jobs/{job_id}")).await)
                    .expect("a job");
            if matches!(job.status.phase.as_str(), "Success" | "Failed") {
                return job;
            }
            assert!(
                Instant::now() < until,
                "job {job_id} still {} after {deadline:?}",
                job.status.phase
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A password as CCE takes it: base64 of a SHA-512 crypt string.
fn salted() -> String {
    use base64::Engine as _;
    let crypt = format!("$6$abcdefghABCDEFGH${}", "x".repeat(86));
    base64::engine::general_purpose::STANDARD.encode(crypt)
}

fn fast() -> SimConfig {
    SimConfig {
        time_scale: 1000.0,
        ..SimConfig::default()
    }
}

/// The clock only moves through `/_sim/advance`: tests see every phase.
fn frozen() -> SimConfig {
    SimConfig {
        time_scale: 0.0,
        ..SimConfig::default()
    }
}

fn phase(node: &wire::Node) -> &str {
    node.status
        .as_ref()
        .map(|s| s.phase.as_str())
        .unwrap_or_default()
}

fn up_to_date(node: &wire::Node) -> Option<bool> {
    node.status
        .as_ref()
        .and_then(|s| s.configuration_up_to_date)
}

#[tokio::test]
async fn sync_of_12_nodes_never_exceeds_max_unavailable_and_ends_up_to_date() {
    let (sim, pool_id) = Sim::with_pool(fast(), 12).await;
    let update = sim
        .send(
            reqwest::Method::PUT,
            &format!("clusters/{CLUSTER}/nodepools/{pool_id}"),
            &json!({"metadata": {"name": "np"}, "spec": {
                "nodeTemplate": {"os": "Huawei Cloud EulerOS 2.0"},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(update.status(), 200);
    let nodes = sim.nodes().await;
    assert_eq!(nodes.len(), 12);
    assert!(nodes.iter().all(|n| up_to_date(n) == Some(false)));
    let ids: Vec<String> = nodes.iter().map(|n| n.metadata.uid.clone()).collect();

    let job_id = sim.sync(&pool_id, &ids, 3).await;
    let job = sim.wait_job(&job_id, Duration::from_secs(20)).await;
    assert_eq!(job.status.phase, "Success", "{job:?}");
    assert_eq!(job.spec.sub_jobs.len(), 12);
    assert!(
        job.spec
            .sub_jobs
            .iter()
            .all(|s| s.status.phase == "Success")
    );

    // Exactly 3: the budget held, and the sync did use it.
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 3);
    let peaks: Value = sim
        .http
        .get(sim.control("peaks"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(peaks[CLUSTER]["pools"][&pool_id], 3);
    assert_eq!(peaks[CLUSTER]["cluster"], 3);

    let nodes = sim.nodes().await;
    for node in &nodes {
        assert_eq!(phase(node), "Active");
        assert_eq!(up_to_date(node), Some(true));
        assert_eq!(node.spec.os.as_deref(), Some("Huawei Cloud EulerOS 2.0"));
    }
    let shown: wire::NodePool = serde_json::from_value(
        sim.get_json(&format!("clusters/{CLUSTER}/nodepools/{pool_id}"))
            .await,
    )
    .expect("a pool");
    let status = shown.status.expect("status");
    assert_eq!(status.configuration_synced_node_count, 12);
    assert_eq!(status.active_node, 12);
}

#[tokio::test]
async fn sync_phases_are_visible_step_by_step() {
    let (sim, pool_id) = Sim::with_pool(frozen(), 3).await;
    let ids: Vec<String> = sim
        .nodes()
        .await
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    let job_id = sim.sync(&pool_id, &ids, 2).await;
    let advance = |seconds: u32| {
        let request = sim
            .http
            .post(sim.control(&format!("advance?seconds={seconds}")))
            .send();
        async move { assert_eq!(request.await.expect("sent").status(), 200) }
    };
    let job = |phase: &'static str| {
        let path = format!("jobs/{job_id}");
        let sim = &sim;
        async move {
            let job: wire::Job = serde_json::from_value(sim.get_json(&path).await).expect("job");
            assert_eq!(job.status.phase, phase, "{job:?}");
            job
        }
    };
    let job_now = job("Initializing").await;
    assert!(
        job_now
            .spec
            .sub_jobs
            .iter()
            .all(|s| s.status.phase == "Initializing")
    );
    advance(2).await;
    let job_now = job("Running").await;
    let running = job_now
        .spec
        .sub_jobs
        .iter()
        .filter(|s| s.status.phase == "Running")
        .count();
    assert_eq!(running, 2);
    let installing = sim
        .nodes()
        .await
        .iter()
        .filter(|n| phase(n) == "Installing")
        .count();
    assert_eq!(installing, 2);
    let pool: wire::NodePool = serde_json::from_value(
        sim.get_json(&format!("clusters/{CLUSTER}/nodepools/{pool_id}"))
            .await,
    )
    .expect("pool");
    let status = pool.status.expect("status");
    assert_eq!(status.job_id.as_deref(), Some(job_id.as_str()));
    assert!(
        status
            .conditions
            .iter()
            .any(|c| c.condition_type == "ConfigurationSynchronizing" && c.status == "True")
    );
    advance(60).await;
    job("Running").await;
    let installing = sim
        .nodes()
        .await
        .iter()
        .filter(|n| phase(n) == "Installing")
        .count();
    assert_eq!(installing, 1);
    advance(60).await;
    job("Success").await;
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 2);
}

#[tokio::test]
async fn list_nodes_pages_with_limit_and_marker() {
    let (sim, _pool_id) = Sim::with_pool(fast(), 7).await;
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &marker {
            Some(marker) => format!("clusters/{CLUSTER}/nodes?limit=3&marker={marker}"),
            None => format!("clusters/{CLUSTER}/nodes?limit=3"),
        };
        let raw = sim.get_json(&query).await;
        let page: wire::List<wire::Node> = serde_json::from_value(raw.clone()).expect("list");
        pages += 1;
        let info = page.page_info.expect("pageInfo");
        assert_eq!(info.current_count as usize, page.items.len());
        seen.extend(page.items.iter().map(|n| n.metadata.uid.clone()));
        match info.next_marker {
            Some(next) => {
                assert_eq!(page.items.len(), 3);
                marker = Some(next);
            }
            None => {
                // Absent, not null or empty, on the last page.
                assert!(raw["pageInfo"].get("nextMarker").is_none());
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    let all: Vec<String> = sim
        .nodes()
        .await
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    assert_eq!(seen, all);
    assert_eq!(all.len(), 7);

    let bad = sim.get(&format!("clusters/{CLUSTER}/nodes?limit=0")).await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("json");
    assert_eq!(body["errorCode"], "CCE.01400001");
}

#[tokio::test]
async fn page_size_cap_forces_pages() {
    let config = SimConfig {
        page_size_cap: Some(2),
        ..fast()
    };
    let (sim, _) = Sim::with_pool(config, 5).await;
    let page = sim.get_json(&format!("clusters/{CLUSTER}/nodes")).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["pageInfo"]["nextMarker"].is_string());
}

#[tokio::test]
async fn created_pool_nodes_pass_build_installing_active() {
    let mut state = SimState::new();
    state.add_cluster(CLUSTER);
    let sim = Sim::start(frozen(), state).await;
    let mut body = serde_json::to_value(pool("web")).expect("json");
    body["kind"] = json!("NodePool");
    body["apiVersion"] = json!("v3");
    body["spec"]["initialNodeCount"] = json!(2);
    body["spec"]["nodeTemplate"]["login"] =
        json!({"userPassword": {"username": "root", "password": salted()}});
    let created = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools"),
            &body,
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("pool");
    assert!(!created.to_string().contains(&salted()), "{created}");
    assert_eq!(
        created["spec"]["nodeTemplate"]["login"],
        json!({"userPassword": {"username": "root"}})
    );
    let created: wire::NodePool = serde_json::from_value(created).expect("pool");
    let pool_id = created.metadata.uid.clone().expect("uid assigned");
    assert_eq!(created.status.as_ref().map(|s| s.creating_node), Some(2));
    assert_eq!(
        created
            .spec
            .node_template
            .k8s_tags
            .as_ref()
            .and_then(|t| t.get(sim::POOL_NAME_LABEL))
            .map(String::as_str),
        Some("web")
    );

    let phases = |nodes: Vec<wire::Node>| -> Vec<String> {
        nodes.iter().map(|n| phase(n).to_owned()).collect()
    };
    assert_eq!(phases(sim.nodes().await), ["Build", "Build"]);
    sim.handle.advance(Duration::from_secs(61));
    assert_eq!(phases(sim.nodes().await), ["Installing", "Installing"]);
    sim.handle.advance(Duration::from_secs(60));
    let nodes = sim.nodes().await;
    assert_eq!(phases(nodes.clone()), ["Active", "Active"]);
    for node in &nodes {
        let owner = node.metadata.owner_references.as_ref().expect("owner");
        assert_eq!(owner.nodepool_id.as_deref(), Some(pool_id.as_str()));
        assert_eq!(owner.nodepool_name.as_deref(), Some("web"));
        assert_eq!(up_to_date(node), Some(true));
    }
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 2);

    // The password reached neither the state nor the request log.
    let state = serde_json::to_string(&sim.handle.state()).expect("json");
    assert!(!state.contains(&salted()));
    // A plaintext password is refused.
    let mut plain = body.clone();
    plain["metadata"]["name"] = json!("plain");
    plain["spec"]["nodeTemplate"]["login"]["userPassword"]["password"] = json!("Secret#Pass1");
    let refused = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools"),
            &plain,
        )
        .await;
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.expect("error body");
    assert_eq!(refused["errorCode"], "CCE.01400001");
    assert!(
        refused["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("The password field must be salted")),
        "{refused}"
    );
    let log = sim.handle.request_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].status, 201);
    assert_eq!(
        log[0]
            .body
            .as_ref()
            .map(|b| &b["spec"]["nodeTemplate"]["login"]["userPassword"]["password"]),
        Some(&json!("<redacted>"))
    );

    let duplicate = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools"),
            &body,
        )
        .await;
    assert_eq!(duplicate.status(), 409);
}

#[tokio::test]
async fn update_marks_only_reset_fields_stale_and_omitted_count_scales_to_zero() {
    // CCE documents only os and runtime; widened here to scripts to follow
    // a script through the template.
    let config = SimConfig {
        faults: Faults {
            stale_fields: ["os", "runtime", "scripts"].map(String::from).into(),
            ..Faults::default()
        },
        ..frozen()
    };
    let (sim, pool_id) = Sim::with_pool(config, 3).await;
    let path = format!("clusters/{CLUSTER}/nodepools/{pool_id}");
    let labels = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {
                "k8sTags": {"team": "b"}, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(labels.status(), 200);
    assert!(
        sim.nodes()
            .await
            .iter()
            .all(|n| up_to_date(n) == Some(true))
    );

    let script = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {
                "extendParam": {"alpha.cce/postInstall": "ZWNobyBoaQ=="}},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(script.status(), 200);
    let shown: wire::NodePool = script.json().await.expect("pool");
    assert_eq!(
        shown.status.map(|s| s.configuration_synced_node_count),
        Some(0)
    );
    assert!(
        sim.nodes()
            .await
            .iter()
            .all(|n| up_to_date(n) == Some(false))
    );

    // Sending extendParam without the script drops it: the nodes match again.
    let dropped = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {"extendParam": {}},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(dropped.status(), 200);
    let shown: Value = dropped.json().await.expect("pool");
    let params = &shown["spec"]["nodeTemplate"]["extendParam"];
    assert!(params.get("alpha.cce/postInstall").is_none(), "{shown}");
    assert!(
        sim.nodes()
            .await
            .iter()
            .all(|n| up_to_date(n) == Some(true))
    );

    let flavor = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {"flavor": "c7.xlarge.2"},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(flavor.status(), 400);

    // Neither initialNodeCount nor ignoreInitialNodeCount: the pool scales in
    // to 0, the trap the real API sets.
    let scaled = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {}}}),
        )
        .await;
    assert_eq!(scaled.status(), 200);
    assert!(sim.nodes().await.iter().all(|n| phase(n) == "Deleting"));
    sim.handle.advance(Duration::from_secs(31));
    assert!(sim.nodes().await.is_empty());
}

#[tokio::test]
async fn default_pool_is_listed_on_request_and_syncable() {
    let mut state = SimState::new();
    let ids = state.add_default_nodes(CLUSTER, template("EulerOS 2.9"), 2);
    state.add_pool(CLUSTER, pool("np"), 1);
    let sim = Sim::start(fast(), state).await;
    let plain = sim.get_json(&format!("clusters/{CLUSTER}/nodepools")).await;
    assert_eq!(plain["items"].as_array().map(Vec::len), Some(1));
    let all = sim
        .get_json(&format!(
            "clusters/{CLUSTER}/nodepools?showDefaultNodePool=true"
        ))
        .await;
    let names: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["DefaultPool", "np"]);

    let node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{}", ids[0]))
        .await;
    assert_eq!(
        node["metadata"]["annotations"]["kubernetes.io/node-pool.id"],
        "az-a#c7.large.2#EulerOS 2.9"
    );
    let job_id = sim.sync(sim::DEFAULT_POOL_ID, &ids, 1).await;
    let job = sim.wait_job(&job_id, Duration::from_secs(10)).await;
    assert_eq!(job.status.phase, "Success");
    assert_eq!(sim.handle.peak_unavailable(sim::DEFAULT_POOL_ID), 1);
}

fn sdk_date() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

/// Sends a request signed like the SDK: Content-Type, Host, X-Project-Id and
/// X-Sdk-Date signed.
async fn signed(
    sim: &Sim,
    method: reqwest::Method,
    path: &str,
    body: &str,
    (ak, sk): (&str, &str),
) -> reqwest::Response {
    let url = reqwest::Url::parse(&sim.url(path)).expect("url");
    let host = format!("{}", sim.handle.addr());
    let headers = [
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Host".to_owned(), host),
        ("X-Project-Id".to_owned(), PROJECT.to_owned()),
        ("X-Sdk-Date".to_owned(), sdk_date()),
    ];
    let signed_headers =
        sign::signable_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let query = sign::parse_query(url.query().unwrap_or_default());
    let payload_hash = sign::payload_hash(&signed_headers, body.as_bytes());
    let authorization = sign::sign(
        ak,
        sk,
        &headers[3].1,
        &sign::CanonicalInput {
            method: method.as_str(),
            path: url.path(),
            query: &query,
            signed_headers: &signed_headers,
            payload_hash: &payload_hash,
        },
    );
    let mut request = sim.http.request(method, url).body(body.to_owned());
    for (name, value) in headers.iter().filter(|(name, _)| name != "Host") {
        request = request.header(name, value);
    }
    request
        .header("Authorization", authorization)
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn aksk_signatures_and_tokens_are_verified() {
    let config = SimConfig {
        auth: SimAuth::none()
            .with_aksk("AK1", "SK1")
            .with_token("demo")
            .with_user("alice", "Alice#Pass1"),
        ..fast()
    };
    let (sim, pool_id) = Sim::with_pool(config, 2).await;
    let path = format!("clusters/{CLUSTER}/nodes?limit=1");

    let good = signed(&sim, reqwest::Method::GET, &path, "", ("AK1", "SK1")).await;
    assert_eq!(good.status(), 200);

    let wrong = signed(&sim, reqwest::Method::GET, &path, "", ("AK1", "WRONG")).await;
    assert_eq!(wrong.status(), 401);
    let request_id = wrong
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("X-Request-Id");
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["error_code"], "APIG.0301");
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("signature"))
    );

    // A signed POST passes the gateway and meets CCE's own validation.
    let sync = json!({"kind": "NodePool", "apiVersion": "v3", "spec": {
        "nodePoolID": pool_id, "nodeIDs": [], "maxUnavailable": 1}})
    .to_string();
    let upgrade = format!("clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade");
    let refused = signed(&sim, reqwest::Method::POST, &upgrade, &sync, ("AK1", "SK1")).await;
    assert_eq!(
        refused.status(),
        400,
        "signed and valid auth, empty nodeIDs"
    );

    let unsigned = sim.get(&path).await;
    assert_eq!(unsigned.status(), 401);
    let with_token = sim
        .http
        .get(sim.url(&path))
        .header("X-Auth-Token", "demo")
        .send()
        .await
        .expect("sent");
    assert_eq!(with_token.status(), 200);
    let bad_token = sim
        .http
        .get(sim.url(&path))
        .header("X-Auth-Token", "nope")
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_token.status(), 401);
    let body: Value = bad_token.json().await.expect("json");
    assert_eq!(body["error_code"], "APIG.0301");

    // IAM password login hands out a token that works.
    let login = |password: &str| {
        sim.http
            .post(format!(
                "{}/v3/auth/tokens?nocatalog=true",
                sim.handle.endpoint()
            ))
            .json(
                &json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": "alice", "password": password, "domain": {"name": "acct"}}}},
                "scope": {"project": {"id": PROJECT}}}}),
            )
            .send()
    };
    assert_eq!(login("wrong").await.expect("sent").status(), 401);
    // CCE's fault knobs do not touch the IAM login.
    sim.handle.set_faults(Faults {
        fail_next_writes: vec![500],
        ..Faults::default()
    });
    let issued = login("Alice#Pass1").await.expect("sent");
    assert_eq!(issued.status(), 201);
    assert_eq!(sim.handle.faults().fail_next_writes, [500]);
    let token = issued
        .headers()
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("X-Subject-Token");
    let with_issued = sim
        .http
        .get(sim.url(&path))
        .header("X-Auth-Token", token)
        .send()
        .await
        .expect("sent");
    assert_eq!(with_issued.status(), 200);
    // The IAM password is not logged in clear.
    let log = serde_json::to_string(&sim.handle.request_log()).expect("json");
    assert!(!log.contains("Alice#Pass1"));
}

#[tokio::test]
async fn deterministic_faults_fire_in_order() {
    let (sim, pool_id) = Sim::with_pool(fast(), 2).await;
    sim.handle.set_faults(Faults {
        fail_next: vec![429, 429, 503],
        ..Faults::default()
    });
    let path = format!("clusters/{CLUSTER}/nodepools/{pool_id}");
    let codes = [
        (429, "APIG.0308"),
        (429, "CCE.01429002"),
        (503, "CCE.01500001"),
    ];
    for (status, code) in codes {
        let response = sim.get(&path).await;
        assert_eq!(response.status(), status);
        assert!(response.headers().contains_key("x-request-id"));
        let body: Value = response.json().await.expect("json");
        let found = body["error_code"].as_str().or(body["errorCode"].as_str());
        assert_eq!(found, Some(code));
    }
    assert_eq!(sim.get(&path).await.status(), 200);

    // A failed write has no effect but is logged.
    sim.handle.set_faults(Faults {
        fail_next_writes: vec![500],
        malformed_next: 1,
        ..Faults::default()
    });
    let create = serde_json::to_value(pool("other")).expect("json");
    let refused = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools"),
            &create,
        )
        .await;
    assert_eq!(refused.status(), 500);
    let pools = sim.handle.state().pools(CLUSTER).len();
    assert_eq!(pools, 1);
    assert_eq!(sim.handle.request_log().last().map(|r| r.status), Some(500));

    let malformed = sim.get(&path).await;
    assert_eq!(malformed.status(), 200);
    let text = malformed.text().await.expect("text");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert!(serde_json::from_value::<Value>(sim.get_json(&path).await).is_ok());
}

#[tokio::test]
async fn a_slow_write_takes_effect_before_it_answers() {
    let (sim, pool_id) = Sim::with_pool(frozen(), 2).await;
    sim.handle.set_faults(Faults {
        slow_next_writes: vec![3_000],
        ..Faults::default()
    });
    let ids: Vec<String> = sim
        .nodes()
        .await
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .expect("client");
    let timed_out = impatient
        .post(sim.url(&format!(
            "clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade"
        )))
        .json(&json!({"kind": "NodePool", "apiVersion": "v3", "spec": {
            "nodePoolID": pool_id, "nodeIDs": ids, "maxUnavailable": 1}}))
        .send()
        .await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    // The sync happened even though its answer never arrived (polled: on a
    // busy machine the server may get to it only after the client gave up).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let syncs = sim
            .handle
            .state()
            .jobs
            .values()
            .filter(|j| j.job_type == "UpgradeNodePool")
            .count();
        if syncs == 1 {
            break;
        }
        assert_eq!(syncs, 0);
        assert!(Instant::now() < deadline, "the slow sync never took effect");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn failing_and_stuck_resets() {
    let (sim, pool_id) = Sim::with_pool(frozen(), 3).await;
    let nodes = sim.nodes().await;
    let ids: Vec<String> = nodes.iter().map(|n| n.metadata.uid.clone()).collect();
    sim.handle.set_faults(Faults {
        fail_reset_nodes: [ids[0].clone()].into(),
        stuck_nodes: [nodes[1].metadata.name.clone()].into(),
        ..Faults::default()
    });
    let failing = sim.sync(&pool_id, &ids[..1], 1).await;
    let stuck = sim.sync(&pool_id, &ids[1..2], 1).await;
    sim.handle.advance(Duration::from_secs(3_600));
    let job = sim.wait_job(&failing, Duration::from_secs(5)).await;
    assert_eq!(job.status.phase, "Failed");
    assert!(
        job.status.reason.contains(&nodes[0].metadata.name),
        "{job:?}"
    );
    assert_eq!(job.spec.sub_jobs[0].status.phase, "Failed");
    let node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{}", ids[0]))
        .await;
    assert_eq!(node["status"]["phase"], "Error");

    let still: wire::Job =
        serde_json::from_value(sim.get_json(&format!("jobs/{stuck}")).await).expect("job");
    assert_eq!(still.status.phase, "Running");
    let node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{}", ids[1]))
        .await;
    assert_eq!(node["status"]["phase"], "Installing");

    // A busy node cannot be synced again.
    let again = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade"),
            &json!({"kind": "NodePool", "apiVersion": "v3", "spec": {
                "nodePoolID": pool_id, "nodeIDs": [ids[1]], "maxUnavailable": 1}}),
        )
        .await;
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn random_faults_are_reproducible_with_a_seed() {
    let (sim, pool_id) = Sim::with_pool(fast(), 1).await;
    let path = format!("clusters/{CLUSTER}/nodepools/{pool_id}");
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.handle.set_faults(Faults {
            rate_429: 0.3,
            rate_5xx: 0.3,
            seed: 7,
            ..Faults::default()
        });
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(sim.get(&path).await.status().as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    for status in [200, 429, 500] {
        assert!(runs[0].contains(&status), "{:?}", runs[0]);
    }
}

#[tokio::test]
async fn control_endpoints_change_and_show_the_world() {
    let (sim, pool_id) = Sim::with_pool(fast(), 2).await;
    let node_id = sim.nodes().await[0].metadata.uid.clone();
    let change = |body: Value| {
        sim.http
            .post(sim.control("outside-change"))
            .json(&body)
            .send()
    };
    let pool_change = change(
        json!({"kind": "pool", "cluster_id": CLUSTER, "pool_id": pool_id,
        "patch": {"spec": {"nodeTemplate": {"os": "Ubuntu 22.04"}}}}),
    )
    .await
    .expect("sent");
    assert_eq!(pool_change.status(), 204);
    assert!(
        sim.nodes()
            .await
            .iter()
            .all(|n| up_to_date(n) == Some(false))
    );

    let node_change = change(
        json!({"kind": "node", "cluster_id": CLUSTER, "node_id": node_id,
        "patch": {"status": {"phase": "Abnormal"}}}),
    )
    .await
    .expect("sent");
    assert_eq!(node_change.status(), 204);
    let node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{node_id}"))
        .await;
    assert_eq!(node["status"]["phase"], "Abnormal");
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 1);

    // Peaks can be restarted: the Abnormal node still counts, then not.
    let reset = |sim: &Sim| sim.http.delete(sim.control("peaks")).send();
    assert_eq!(reset(&sim).await.expect("sent").status(), 204);
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 1);
    let healed = change(
        json!({"kind": "node", "cluster_id": CLUSTER, "node_id": node_id,
        "patch": {"status": {"phase": "Active"}}}),
    )
    .await
    .expect("sent");
    assert_eq!(healed.status(), 204);
    sim.handle.reset_peaks();
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 0);

    // A node reinstalled from outside with the pool's os is up to date again;
    // one with another os is not.
    let reinstalled = change(
        json!({"kind": "node", "cluster_id": CLUSTER, "node_id": node_id,
        "patch": {"spec": {"os": "Ubuntu 22.04"}}}),
    )
    .await
    .expect("sent");
    assert_eq!(reinstalled.status(), 204);
    let node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{node_id}"))
        .await;
    assert_eq!(node["status"]["configurationUpToDate"], true);
    let other = change(
        json!({"kind": "node", "cluster_id": CLUSTER, "node_id": node_id,
        "patch": {"spec": {"os": "CentOS 7.6"}}}),
    )
    .await
    .expect("sent");
    assert_eq!(other.status(), 204);
    let node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{node_id}"))
        .await;
    assert_eq!(node["status"]["configurationUpToDate"], false);

    let unknown = change(json!({"kind": "delete_node", "cluster_id": CLUSTER, "node_id": "nope"}))
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 404);

    let faults = sim
        .http
        .put(sim.control("faults"))
        .json(&json!({"fail_next": [502]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(faults.status(), 204);
    assert_eq!(
        sim.get(&format!("clusters/{CLUSTER}/nodes")).await.status(),
        502
    );

    let state: SimState = sim
        .http
        .get(sim.control("state"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("state");
    assert_eq!(state.pool_nodes(CLUSTER, &pool_id).len(), 2);
    let log: Value = sim
        .http
        .get(sim.control("log"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("log");
    assert_eq!(log, json!([]), "control requests are not API requests");
}

#[tokio::test]
async fn unknown_things_get_cce_errors() {
    let (sim, _) = Sim::with_pool(fast(), 1).await;
    for path in [
        "clusters/nope/nodepools".to_owned(),
        format!("clusters/{CLUSTER}/nodepools/nope"),
        format!("clusters/{CLUSTER}/nodes/nope"),
        "jobs/nope".to_owned(),
        "no/such/api".to_owned(),
    ] {
        let response = sim.get(&path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["errorCode"], "CCE.01404001", "{path}");
        assert!(body["errorMessage"].is_string());
    }
    let other_project = sim
        .http
        .get(format!(
            "{}/api/v3/projects/other/clusters/{CLUSTER}/nodes",
            sim.handle.endpoint()
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(other_project.status(), 403);
    let garbage = sim
        .http
        .post(sim.url(&format!("clusters/{CLUSTER}/nodepools")))
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(garbage.status(), 400);

    // Absurd numbers are refused, not attempted.
    let mut huge = serde_json::to_value(pool("huge")).expect("json");
    huge["spec"]["initialNodeCount"] = json!(4_000_000_000u32);
    let refused = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools"),
            &huge,
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["errorCode"], "CCE.01400014");
    for seconds in ["1e300", "-1", "soon"] {
        let advance = sim
            .http
            .post(sim.control(&format!("advance?seconds={seconds}")))
            .send()
            .await
            .expect("sent");
        assert_eq!(advance.status(), 400, "{seconds}");
    }
}

/// Kills the child on drop so a failing test leaves no server behind.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn sim_serve_keeps_its_state_in_a_file() {
    use std::io::BufRead as _;

    let dir = tempfile::tempdir().expect("temp dir");
    let state_file = dir.path().join("state.json");
    let mut child = Serve(
        std::process::Command::new(env!("CARGO_BIN_EXE_poolform"))
            .args(["sim", "serve", "--listen", "127.0.0.1:0", "--token", "demo"])
            .args(["--cluster", CLUSTER, "--time-scale", "1000"])
            .args(["--faults", r#"{"fail_next":[503]}"#, "--state"])
            .arg(&state_file)
            .env_remove("CLOUD_SDK_AK")
            .env_remove("CLOUD_SDK_SK")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("poolform starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let endpoint = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line.trim().to_owned())
    })
    .await
    .expect("joined")
    .expect("endpoint line");
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");

    let http = reqwest::Client::new();
    let url = format!("{endpoint}/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools");
    let unauthenticated = http.get(&url).send().await.expect("sent");
    assert_eq!(unauthenticated.status(), 401);
    let get = || http.get(&url).header("X-Auth-Token", "demo").send();
    assert_eq!(get().await.expect("sent").status(), 503, "--faults applies");
    assert_eq!(get().await.expect("sent").status(), 200);
    let mut body = serde_json::to_value(pool("web")).expect("json");
    body["spec"]["initialNodeCount"] = json!(1);
    let created = http
        .post(&url)
        .header("X-Auth-Token", "demo")
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);

    // Saved on change: the file shows the pool without waiting for exit.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let saved = std::fs::read_to_string(&state_file).unwrap_or_default();
        let shows_pool = serde_json::from_str::<SimState>(&saved).is_ok_and(|state| {
            state
                .pools(CLUSTER)
                .iter()
                .any(|p| p.metadata.name == "web")
        });
        if shows_pool {
            assert!(!saved.contains("demo"), "the token is not saved");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "state file never showed the pool"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGTERM stops it cleanly (exit 0) with the state saved.
    let pid = child.0.id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("child status") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "poolform sim serve ignored SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    let reloaded = SimState::load(&state_file).expect("loads");
    assert_eq!(reloaded.pools(CLUSTER).len(), 1);
}

#[test]
fn sim_serve_rejects_bad_arguments_clearly() {
    for (args, expected) in [
        (&["--faults", "{nope"][..], "--faults is not a fault set"),
        (
            &["--listen", "localhost"][..],
            "is not an address with a port",
        ),
        (
            &["--time-scale", "0"][..],
            "--time-scale must be a positive number",
        ),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_poolform"))
            .args(["sim", "serve"])
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("poolform runs");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[tokio::test]
async fn scheduled_outside_changes_land_between_writes() {
    let (sim, pool_id) = Sim::with_pool(frozen(), 2).await;
    let ids: Vec<String> = sim
        .nodes()
        .await
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    let os_change = |os: &str| sim::OutsideChange::Pool {
        cluster_id: CLUSTER.to_owned(),
        pool_id: pool_id.clone(),
        patch: json!({"spec": {"nodeTemplate": {"os": os}}}),
    };
    sim.handle.set_faults(Faults {
        // A failed write does not count.
        fail_next_writes: vec![500],
        scheduled_changes: vec![
            sim::ScheduledChange {
                after_writes: 1,
                change: os_change("Ubuntu 22.04"),
            },
            sim::ScheduledChange {
                after_writes: 2,
                change: os_change("CentOS 7.6"),
            },
        ],
        ..Faults::default()
    });
    let template_os = |sim: &Sim| {
        sim.handle
            .state()
            .pool(CLUSTER, &pool_id)
            .and_then(|p| p.spec.node_template.os.clone())
    };
    let body = json!({"kind": "NodePool", "apiVersion": "v3", "spec": {
        "nodePoolID": pool_id, "nodeIDs": [ids[0]], "maxUnavailable": 1}});
    let upgrade = format!("clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade");
    let failed = sim.send(reqwest::Method::POST, &upgrade, &body).await;
    assert_eq!(failed.status(), 500);
    assert_eq!(template_os(&sim).as_deref(), Some("EulerOS 2.9"));

    let accepted = sim.send(reqwest::Method::POST, &upgrade, &body).await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(template_os(&sim).as_deref(), Some("Ubuntu 22.04"));
    let idle = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{}", ids[1]))
        .await;
    assert_eq!(idle["status"]["configurationUpToDate"], false);
    assert_eq!(sim.handle.faults().scheduled_changes.len(), 1);
}

#[tokio::test]
async fn deleted_pools_drain_then_disappear() {
    let mut state = SimState::new();
    state.add_default_nodes(CLUSTER, template("EulerOS 2.9"), 1);
    let pool_id = state.add_pool(CLUSTER, pool("np"), 2);
    let sim = Sim::start(frozen(), state).await;
    let path = format!("clusters/{CLUSTER}/nodepools/{pool_id}");
    let deleted = sim.http.delete(sim.url(&path)).send().await.expect("sent");
    assert_eq!(deleted.status(), 200);
    let shown: wire::NodePool = deleted.json().await.expect("pool");
    let status = shown.status.expect("status");
    assert_eq!(status.phase, "Deleting");
    assert_eq!(status.deleting_node, 2);
    let job_id = status.job_id.expect("a delete job");
    assert_eq!(
        sim.get_json(&path).await["status"]["phase"],
        "Deleting",
        "still there while its nodes drain"
    );
    sim.handle.advance(Duration::from_secs(31));
    assert_eq!(sim.get(&path).await.status(), 404);
    let job = sim.wait_job(&job_id, Duration::from_secs(5)).await;
    assert_eq!(job.status.phase, "Success");
    assert_eq!(job.spec.job_type, "DeleteNodePool");
    assert_eq!(sim.nodes().await.len(), 1, "the DefaultPool node stays");

    let default_path = format!("clusters/{CLUSTER}/nodepools/{}", sim::DEFAULT_POOL_ID);
    let refused = sim
        .http
        .delete(sim.url(&default_path))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 400);
    let update = sim
        .send(
            reqwest::Method::PUT,
            &default_path,
            &json!({"metadata": {"name": "DefaultPool"}, "spec": {"nodeTemplate": {}}}),
        )
        .await;
    assert_eq!(update.status(), 400);
}

#[tokio::test]
async fn update_bodies_are_read_with_the_sdk_model() {
    let (sim, pool_id) = Sim::with_pool(frozen(), 1).await;
    let path = format!("clusters/{CLUSTER}/nodepools/{pool_id}");
    let node_id = sim.nodes().await[0].metadata.uid.clone();
    // The create body's names mean nothing in an update: ignored and logged.
    let ignored = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {
                "rootVolume": {"size": 200, "volumetype": "GPSSD"},
                "nodeNicSpec": {"primaryNic": {"subnetId": "subnet-x"}},
                "extendParam": {"maxPods": 64}},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(ignored.status(), 200);
    let shown: Value = ignored.json().await.expect("pool");
    assert_eq!(shown["spec"]["nodeTemplate"]["rootVolume"]["size"], 50);
    assert_eq!(shown["spec"]["nodeTemplate"]["extendParam"]["maxPods"], 110);
    let log = sim.handle.request_log();
    assert_eq!(
        log.last().map(|r| r.ignored.clone()),
        Some(vec![
            "spec.nodeTemplate.extendParam.maxPods".to_owned(),
            "spec.nodeTemplate.nodeNicSpec".to_owned(),
            "spec.nodeTemplate.rootVolume".to_owned(),
        ])
    );

    // The update's own names change the template for new nodes only.
    let applied = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"metadata": {"name": "np"}, "spec": {"nodeTemplate": {
                "rootVolumeUpdate": {"size": 200, "volumetype": "GPSSD"},
                "nodeNicSpecUpdate": {"primaryNic": {"subnetId": "subnet-x"}},
                "k8sTags": {"team": "b"}},
                "ignoreInitialNodeCount": true}}),
        )
        .await;
    assert_eq!(applied.status(), 200);
    let shown: Value = applied.json().await.expect("pool");
    let template = &shown["spec"]["nodeTemplate"];
    assert_eq!(template["rootVolume"]["size"], 200);
    assert_eq!(
        template["nodeNicSpec"]["primaryNic"]["subnetId"],
        "subnet-x"
    );
    assert_eq!(
        sim.handle.request_log().last().map(|r| r.ignored.len()),
        Some(0)
    );
    // The node keeps its disk and got the label at once, without a reset.
    let internal: Value = sim
        .http
        .get(sim.control(&format!("nodes/{CLUSTER}/{node_id}")))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("node");
    assert_eq!(internal["spec"]["rootVolume"]["size"], 50);
    assert_eq!(internal["spec"]["k8sTags"]["team"], "b");
    assert_eq!(internal["status"]["phase"], "Active");
    let shown_node = sim
        .get_json(&format!("clusters/{CLUSTER}/nodes/{node_id}"))
        .await;
    assert!(shown_node["spec"].get("k8sTags").is_none(), "{shown_node}");

    // A value of the wrong type is refused, naming the field.
    let mistyped = sim
        .send(
            reqwest::Method::PUT,
            &path,
            &json!({"spec": {"initialNodeCount": "3"}}),
        )
        .await;
    assert_eq!(mistyped.status(), 400);
    let error: Value = mistyped.json().await.expect("error");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("spec.initialNodeCount")),
        "{error}"
    );
}

#[tokio::test]
async fn open_telekom_cloud_calls_reset_nodes_without_upgrade() {
    let config = SimConfig {
        flavour: sim::Flavour::Otc,
        otc_sync_max_unavailable: 2,
        ..fast()
    };
    let (sim, pool_id) = Sim::with_pool(config, 3).await;
    let ids: Vec<String> = sim
        .nodes()
        .await
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    let upgrade = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade"),
            &json!({"spec": {"nodePoolID": pool_id, "nodeIDs": ids, "maxUnavailable": 1}}),
        )
        .await;
    assert_eq!(upgrade.status(), 404);

    let reset = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodes/reset"),
            &json!({"kind": "List", "apiVersion": "v3", "nodeList": [
                {"nodeID": ids[0], "spec": {"os": "EulerOS 2.9", "login": {"sshKey": "kp1"}}}]}),
        )
        .await;
    assert_eq!(reset.status(), 200);
    let body: Value = reset.json().await.expect("jobid");
    let job_id = body["jobid"].as_str().expect("jobid").to_owned();
    let job = sim.wait_job(&job_id, Duration::from_secs(10)).await;
    assert_eq!(job.status.phase, "Success");

    let synced = sim
        .http
        .put(format!(
            "{}/api/v3.1/projects/{PROJECT}/clusters/{CLUSTER}/nodepool/{pool_id}/sync",
            sim.handle.endpoint()
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(synced.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim
        .handle
        .state()
        .jobs
        .values()
        .any(|j| !matches!(j.phase.as_str(), "Success" | "Failed"))
    {
        assert!(Instant::now() < deadline, "the pool sync did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.handle.peak_unavailable(&pool_id), 2);
}

#[tokio::test]
async fn sync_answer_styles_hidden_jobs_and_retry_after() {
    let config = SimConfig {
        sync_answer: sim::SyncAnswer::Empty,
        faults: Faults {
            job_hidden_reads: 1,
            retry_after_secs: Some(3),
            ..Faults::default()
        },
        ..frozen()
    };
    let (sim, pool_id) = Sim::with_pool(config, 1).await;
    let ids: Vec<String> = sim
        .nodes()
        .await
        .iter()
        .map(|n| n.metadata.uid.clone())
        .collect();
    let answer = sim
        .send(
            reqwest::Method::POST,
            &format!("clusters/{CLUSTER}/nodepools/{pool_id}/operation/upgrade"),
            &json!({"kind": "NodePool", "apiVersion": "v3", "spec": {
                "nodePoolID": pool_id, "nodeIDs": ids, "maxUnavailable": 1}}),
        )
        .await;
    assert_eq!(answer.status(), 200);
    assert!(answer.bytes().await.expect("body").is_empty());
    let job_id = sim
        .handle
        .state()
        .jobs
        .keys()
        .last()
        .cloned()
        .expect("a job");
    assert_eq!(sim.get(&format!("jobs/{job_id}")).await.status(), 404);
    assert_eq!(sim.get(&format!("jobs/{job_id}")).await.status(), 200);

    sim.handle.set_faults(Faults {
        fail_next: vec![429],
        retry_after_secs: Some(3),
        ..Faults::default()
    });
    let throttled = sim.get(&format!("clusters/{CLUSTER}/nodes")).await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(
        throttled
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
}
