//! The wasmtime engine configuration: Spin's, so that what the tests and benchmarks measure
//! is what `spin up` would run.
//!
//! As in Spin's `spin-core` (`Config::default` and `StoreBuilder::build`):
//! - the pooling allocator, because a fresh instance per request makes instantiation the hot
//!   path: memories, tables and stacks are reserved once and reused. Like Spin, up to 2 MiB of
//!   each linear memory and 512 KiB of each table stay resident between instances (reset by
//!   `memset` instead of `madvise`), which saves the page faults and cross-core TLB flushes of
//!   handing small memories back to the kernel on every request;
//! - epoch interruption, with a ticker thread every 10 ms and a practically infinite deadline
//!   per store. The guest code carries Spin's epoch checks at function entries and loop
//!   back-edges, so it costs here what it costs there.
//!
//! Where the machine refuses the pooling allocator's address-space reservation (a low
//! `ulimit -v`), the host falls back to on-demand allocation, slower but otherwise identical.

use std::time::Duration;

use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy, Store,
};

/// Instances alive at once (one per in-flight request); beyond this a request fails with
/// 500 rather than exhausting memory. Spin's default too.
const MAX_CONCURRENT_INSTANCES: u32 = 1000;

/// Spin's `linear_memory_keep_resident` and `table_keep_resident` defaults.
const MEMORY_KEEP_RESIDENT_BYTES: usize = 2 << 20;
const TABLE_KEEP_RESIDENT_BYTES: usize = 512 << 10;

/// Spin's `DEFAULT_EPOCH_TICK_INTERVAL`.
const EPOCH_TICK: Duration = Duration::from_millis(10);

fn config(pooling: bool) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    if pooling {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(MAX_CONCURRENT_INSTANCES)
            .total_core_instances(MAX_CONCURRENT_INSTANCES * 4)
            .total_memories(MAX_CONCURRENT_INSTANCES * 2)
            .total_tables(MAX_CONCURRENT_INSTANCES * 4)
            .total_stacks(MAX_CONCURRENT_INSTANCES)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT_BYTES)
            .table_keep_resident(TABLE_KEEP_RESIDENT_BYTES);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    // For profiling the guests with Linux `perf`: wasmtime then writes /tmp/perf-PID.map, so
    // `perf report` names the components' functions instead of bare JIT addresses.
    if std::env::var_os("FOLIO_HOST_PERFMAP").is_some() {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    config
}

/// Builds the engine and starts its epoch ticker, which stops when the engine is dropped.
pub fn build() -> wasmtime::Result<Engine> {
    let engine = match Engine::new(&config(true)) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!(
                "spin-test-host: warning: pooling allocator unavailable ({e}); allocating per instance"
            );
            Engine::new(&config(false))?
        }
    };
    let weak = engine.weak();
    std::thread::Builder::new().name("epoch-ticker".into()).spawn(move || loop {
        std::thread::sleep(EPOCH_TICK);
        match weak.upgrade() {
            Some(engine) => engine.increment_epoch(),
            None => break,
        }
    })?;
    Ok(engine)
}

/// A store for one instance. With epoch interruption on, a store needs a deadline or the
/// guest traps at once; Spin sets 2^63 ticks, i.e. none in practice, and so does this host.
pub fn new_store<T: 'static>(engine: &Engine, data: T) -> Store<T> {
    let mut store = Store::new(engine, data);
    store.set_epoch_deadline(u64::MAX / 2);
    store
}
