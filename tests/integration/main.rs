//! Integration tests: the real binary, the real client against the simulator.
mod config;
mod sim;
