//! The wasmtime engine configuration.
//!
//! A fresh instance per request makes instantiation the hot path, so, like Spin, the host
//! uses wasmtime's pooling allocator: memories and tables are reserved once and reused
//! instead of being mapped and unmapped for every request. Where the machine refuses the
//! address-space reservation (a low `ulimit -v`), it falls back to on-demand allocation,
//! which is slower but otherwise identical.

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy};

/// Instances alive at once (one per in-flight request); beyond this a request fails with
/// 500 rather than exhausting memory. Far above what the tests and benchmarks use.
const MAX_CONCURRENT_INSTANCES: u32 = 1000;

pub fn build() -> wasmtime::Result<Engine> {
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(MAX_CONCURRENT_INSTANCES)
        .total_core_instances(MAX_CONCURRENT_INSTANCES * 4)
        .total_memories(MAX_CONCURRENT_INSTANCES * 2)
        .total_tables(MAX_CONCURRENT_INSTANCES * 4)
        .total_stacks(MAX_CONCURRENT_INSTANCES);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    // For profiling the guests with Linux `perf`: wasmtime then writes /tmp/perf-PID.map, so
    // `perf report` names the components' functions instead of bare JIT addresses.
    if std::env::var_os("FOLIO_HOST_PERFMAP").is_some() {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    match Engine::new(&config) {
        Ok(engine) => Ok(engine),
        Err(e) => {
            eprintln!(
                "spin-test-host: warning: pooling allocator unavailable ({e}); allocating per instance"
            );
            Engine::new(&Config::new())
        }
    }
}
