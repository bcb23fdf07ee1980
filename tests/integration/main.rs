//! Integration tests: the real binary, the real client against the simulator.
mod apply;
mod config;
mod sim;
