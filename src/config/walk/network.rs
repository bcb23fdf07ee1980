//! `public_ip` and `nic`: the node's elastic IP and its primary NIC.

use std::ops::Range;

use super::keys::{CHARGE_MODES, NIC_KEYS, PUBLIC_IP_KEYS, SHARE_TYPES};
use super::{FileWalker, Val};
use crate::config::codes;
use crate::config::diagnostic::Draft;
use crate::config::rules;
use crate::model::{NicSpec, PublicIp};

impl FileWalker<'_> {
    pub(super) fn walk_public_ip(&mut self, path: &str, value: &Val<'_>) -> Option<PublicIp> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, PUBLIC_IP_KEYS);
        let ip_type = match table.get_key_value("ip_type") {
            Some((_, value)) => self.nonempty(&format!("{path}.ip_type"), value),
            None => {
                self.missing(path, "ip_type", value.span(), "ip_type = \"5_bgp\"");
                None
            }
        };
        let bandwidth_size = match table.get_key_value("bandwidth_size") {
            Some((_, value)) => self.unsigned(&format!("{path}.bandwidth_size"), value, 1, 2000),
            None => {
                self.missing(
                    path,
                    "bandwidth_size",
                    value.span(),
                    "bandwidth_size = 5 (Mbit/s)",
                );
                None
            }
        };
        let share_type = match table.get_key_value("share_type") {
            Some((_, value)) => self.choice(
                &format!("{path}.share_type"),
                value,
                SHARE_TYPES,
                codes::INVALID_VALUE,
            ),
            None => {
                self.missing(path, "share_type", value.span(), "share_type = \"PER\"");
                None
            }
        };
        let charge_mode = table.get_key_value("charge_mode").and_then(|(_, value)| {
            self.choice(
                &format!("{path}.charge_mode"),
                value,
                CHARGE_MODES,
                codes::INVALID_VALUE,
            )
        });
        Some(PublicIp {
            ip_type: ip_type?,
            charge_mode: charge_mode.map(str::to_owned),
            bandwidth_size: Some(bandwidth_size?),
            share_type: Some(share_type?.to_owned()),
        })
    }

    pub(super) fn walk_nic(
        &mut self,
        path: &str,
        value: &Val<'_>,
        node_count: Option<(u32, Range<usize>)>,
    ) -> Option<NicSpec> {
        let table = self.table(path, value)?;
        self.check_keys(path, table, NIC_KEYS);
        let mut nic = NicSpec::default();
        if let Some((_, value)) = table.get_key_value("subnet_id") {
            nic.subnet_id = self.nonempty(&format!("{path}.subnet_id"), value);
        }
        let mut fixed_span = None;
        if let Some((_, value)) = table.get_key_value("fixed_ips") {
            fixed_span = Some(value.span());
            for (ip, span) in self.string_list(&format!("{path}.fixed_ips"), value) {
                if let Err(reason) = rules::check_ip(&ip) {
                    self.push(
                        Draft::error(
                            codes::INVALID_IP,
                            format!("`{ip}` in `{path}.fixed_ips` {reason}"),
                        )
                        .at(self.file, span, "not an IP address")
                        .help("write addresses such as \"192.168.0.10\""),
                    );
                } else {
                    nic.fixed_ips.push(ip);
                }
            }
        }
        let mut block_span = None;
        if let Some((_, value)) = table.get_key_value("ip_block") {
            block_span = Some(value.span());
            if let Some(block) = self.nonempty(&format!("{path}.ip_block"), value) {
                match rules::check_cidr(&block) {
                    Ok(()) => nic.ip_block = Some(block),
                    Err(reason) => self.push(
                        Draft::error(codes::INVALID_IP, format!("`{path}.ip_block` {reason}"))
                            .at(self.file, value.span(), "not a CIDR block")
                            .help("write a block such as \"192.168.0.0/24\""),
                    ),
                }
            }
        }
        if let (Some(fixed), Some(block)) = (fixed_span.clone(), block_span) {
            self.push(
                Draft::error(codes::NIC_CONFLICT, format!("`{path}` sets both `fixed_ips` and `ip_block`"))
                    .at(self.file, fixed, "fixed addresses")
                    .also(block, "and a block")
                    .help("CCE takes either fixed IPs or an IP block for the primary NIC, not both: remove one"),
            );
        }
        if let (Some(fixed), Some((count, count_span))) = (fixed_span, node_count) {
            let ips = nic.fixed_ips.len();
            if ips > count as usize {
                let count_span_in_file = count_span;
                self.push(
                    Draft::error(codes::NIC_CONFLICT, format!("`{path}.fixed_ips` has {ips} addresses for {count} nodes"))
                        .at(self.file, fixed, "more addresses than nodes")
                        .also(count_span_in_file, "node count")
                        .help("CCE allows at most one fixed IP per node created: remove addresses or raise node_count"),
                );
            }
        }
        if let Some((_, value)) = table.get_key_value("subnet_list") {
            let list = self.string_list(&format!("{path}.subnet_list"), value);
            if list.len() > rules::MAX_SUBNETS {
                self.push(
                    Draft::error(
                        codes::OUT_OF_RANGE,
                        format!(
                            "`{path}.subnet_list` has {} subnets; CCE allows at most {}",
                            list.len(),
                            rules::MAX_SUBNETS
                        ),
                    )
                    .at(self.file, value.span(), "too many subnets")
                    .help("list at most 20 subnets"),
                );
            }
            nic.subnet_list = list.into_iter().map(|(text, _)| text).collect();
        }
        Some(nic)
    }
}
