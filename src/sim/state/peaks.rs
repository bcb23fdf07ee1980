//! The peaks of simultaneously unavailable nodes, recorded after every
//! event so that they are exact.

use super::world::SimState;

impl SimState {
    pub(super) fn record_peaks(&mut self, cluster_id: &str) {
        let Some(cluster) = self.clusters.get(cluster_id) else {
            return;
        };
        let per_pool: Vec<(String, usize)> = cluster
            .pools
            .iter()
            .map(|p| (p.uid().to_owned(), p.unavailable()))
            .collect();
        let total: usize = per_pool.iter().map(|(_, n)| n).sum();
        let peaks = self.peaks.entry(cluster_id.to_owned()).or_default();
        peaks.cluster = peaks.cluster.max(total);
        for (pool_id, count) in per_pool {
            let peak = peaks.pools.entry(pool_id).or_default();
            *peak = (*peak).max(count);
        }
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a pool (0 for an unknown pool).
    pub fn peak_unavailable(&self, pool_id: &str) -> usize {
        self.peaks
            .values()
            .filter_map(|c| c.pools.get(pool_id))
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// The highest number of simultaneously unavailable nodes ever seen in
    /// a cluster.
    pub fn cluster_peak_unavailable(&self, cluster_id: &str) -> usize {
        self.peaks.get(cluster_id).map(|p| p.cluster).unwrap_or(0)
    }

    /// Forgets the recorded peaks and starts recording afresh from what is
    /// unavailable now (e.g. after seeding, before the operation under test).
    pub fn reset_peaks(&mut self) {
        self.peaks.clear();
        let clusters: Vec<String> = self.clusters.keys().cloned().collect();
        for cluster in clusters {
            self.record_peaks(&cluster);
        }
    }
}
