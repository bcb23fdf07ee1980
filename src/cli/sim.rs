//! `poolform sim`: the built-in CCE simulator as a server.
//!
//! The endpoint goes to stdout (one line, for scripts); what the server is
//! doing goes to stderr.

use std::time::Duration;

use miette::{IntoDiagnostic, WrapErr};

use super::{Outcome, SimCommand, SimServeArgs};
use crate::sim::{self, Faults, SimAuth, SimConfig, SimState};

/// Runs `poolform sim ...`.
pub fn run(command: SimCommand) -> miette::Result<Outcome> {
    match command {
        SimCommand::Serve(args) => serve(args),
    }
}

/// What `serve` needs from its arguments, checked.
fn config_from(args: &SimServeArgs) -> miette::Result<SimConfig> {
    let listen = args.listen.parse().map_err(|_| {
        miette::miette!(
            code = "poolform::sim::listen",
            help = "give an address and a port, e.g. --listen 127.0.0.1:8765 (port 0 picks a free one)",
            "--listen {:?} is not an address with a port",
            args.listen
        )
    })?;
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(miette::miette!(
            code = "poolform::sim::time_scale",
            help = "use a positive number: 1 runs in real time, 60 runs a minute per second",
            "--time-scale must be a positive number, not {}",
            args.time_scale
        ));
    }
    let faults = match &args.faults {
        None => Faults::default(),
        Some(text) => serde_json::from_str(text).map_err(|error| {
            miette::miette!(
                code = "poolform::sim::faults",
                help = "give a JSON object such as '{\"fail_next\":[429,429],\"rate_5xx\":0.1,\"seed\":7}'",
                "--faults is not a fault set: {error}"
            )
        })?,
    };
    let mut auth = SimAuth::none();
    if let (Some(ak), Some(sk)) = (&args.ak, &args.sk) {
        auth = auth.with_aksk(ak, sk);
    }
    for token in &args.tokens {
        auth = auth.with_token(token);
    }
    Ok(SimConfig {
        project_id: args.project_id.clone(),
        listen,
        auth,
        time_scale: args.time_scale,
        reset_duration: args.reset_duration,
        create_duration: args.create_duration,
        latency: Duration::from_millis(args.latency_ms),
        state_file: args.state.clone(),
        page_size_cap: args.page_size,
        faults,
        ..SimConfig::default()
    })
}

fn serve(args: SimServeArgs) -> miette::Result<Outcome> {
    let config = config_from(&args)?;
    let mut state = match &args.state {
        Some(path) if path.exists() => SimState::load(path)
            .into_diagnostic()
            .wrap_err("cannot start the simulator")?,
        _ => SimState::new(),
    };
    for cluster in &args.clusters {
        state.add_cluster(cluster);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .into_diagnostic()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async move {
        let open = config.auth.enabled;
        let project = config.project_id.clone();
        let handle = sim::start(config, state)
            .await
            .into_diagnostic()
            .wrap_err("cannot start the simulator")?;
        println!("{}", handle.endpoint());
        eprintln!(
            "poolform sim: serving project {project} at {}; press Ctrl-C to stop",
            handle.endpoint()
        );
        if !open {
            eprintln!(
                "poolform sim: no credentials given (--token, --ak/--sk), so every request is accepted"
            );
        }
        wait_for_stop().await?;
        eprintln!("poolform sim: stopping");
        handle
            .shutdown()
            .await
            .into_diagnostic()
            .wrap_err("cannot save the simulator state")?;
        Ok(Outcome::Success)
    })
}

/// Waits for Ctrl-C, or SIGTERM on Unix (how service managers and test
/// harnesses stop a server), so that the state is saved on the way out.
async fn wait_for_stop() -> miette::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .into_diagnostic()
                .wrap_err("cannot listen for SIGTERM")?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted
                .into_diagnostic()
                .wrap_err("cannot wait for Ctrl-C"),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .into_diagnostic()
            .wrap_err("cannot wait for Ctrl-C")
    }
}
