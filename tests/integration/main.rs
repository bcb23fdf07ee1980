//! Integration tests: the real binary, the real client against the simulator.
mod apply;
mod cli;
mod client;
mod config;
mod fleet;
mod plan;
mod sim;
