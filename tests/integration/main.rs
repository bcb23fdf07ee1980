//! Integration tests: the real binary, the real client against the simulator.
mod client;
mod config;
mod plan;
mod sim;
