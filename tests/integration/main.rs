//! Integration tests: the real binary, the real client against the simulator.
mod apply;
mod architecture;
mod cli;
mod client;
mod config;
mod contract;
mod drift;
mod fleet;
mod import;
mod plan;
mod recipes;
mod sim;
