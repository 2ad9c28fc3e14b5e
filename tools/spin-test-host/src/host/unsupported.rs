//! The rest of `fermyon:spin/platform@2.0.0` (LLM, Redis, MQTT, PostgreSQL, MySQL), linked
//! so that a component importing them still instantiates, as it would under Spin. folio's
//! components do not use them; every call fails with the interface's own error variant and
//! a message naming this host, since all of them reach outside the machine, which this
//! test host never does.

use wasmtime::component::Resource;

use super::InstanceState;
use crate::bindings::fermyon::spin::{llm, mqtt, mysql, postgres, rdbms_types, redis};

/// The host type behind connection handles of unsupported interfaces. It has no values:
/// `open` always fails, so no such handle can exist.
pub enum Unsupported {}

const WHY: &str = "not supported by spin-test-host (outbound connections are denied)";

impl llm::Host for InstanceState {
    fn infer(
        &mut self,
        _model: String,
        _prompt: String,
        _params: Option<llm::InferencingParams>,
    ) -> Result<llm::InferencingResult, llm::Error> {
        Err(llm::Error::RuntimeError(format!("llm is {WHY}")))
    }

    fn generate_embeddings(
        &mut self,
        _model: String,
        _text: Vec<String>,
    ) -> Result<llm::EmbeddingsResult, llm::Error> {
        Err(llm::Error::RuntimeError(format!("llm is {WHY}")))
    }
}

fn redis_error() -> redis::Error {
    redis::Error::Other(format!("redis is {WHY}"))
}

impl redis::Host for InstanceState {}

impl redis::HostConnection for InstanceState {
    fn open(&mut self, _address: String) -> Result<Resource<Unsupported>, redis::Error> {
        Err(redis::Error::InvalidAddress)
    }

    fn publish(
        &mut self,
        _: Resource<Unsupported>,
        _channel: String,
        _payload: Vec<u8>,
    ) -> Result<(), redis::Error> {
        Err(redis_error())
    }

    fn get(&mut self, _: Resource<Unsupported>, _key: String) -> Result<Option<Vec<u8>>, redis::Error> {
        Err(redis_error())
    }

    fn set(&mut self, _: Resource<Unsupported>, _key: String, _value: Vec<u8>) -> Result<(), redis::Error> {
        Err(redis_error())
    }

    fn incr(&mut self, _: Resource<Unsupported>, _key: String) -> Result<i64, redis::Error> {
        Err(redis_error())
    }

    fn del(&mut self, _: Resource<Unsupported>, _keys: Vec<String>) -> Result<u32, redis::Error> {
        Err(redis_error())
    }

    fn sadd(
        &mut self,
        _: Resource<Unsupported>,
        _key: String,
        _values: Vec<String>,
    ) -> Result<u32, redis::Error> {
        Err(redis_error())
    }

    fn smembers(&mut self, _: Resource<Unsupported>, _key: String) -> Result<Vec<String>, redis::Error> {
        Err(redis_error())
    }

    fn srem(
        &mut self,
        _: Resource<Unsupported>,
        _key: String,
        _values: Vec<String>,
    ) -> Result<u32, redis::Error> {
        Err(redis_error())
    }

    fn execute(
        &mut self,
        _: Resource<Unsupported>,
        _command: String,
        _arguments: Vec<redis::RedisParameter>,
    ) -> Result<Vec<redis::RedisResult>, redis::Error> {
        Err(redis_error())
    }

    fn drop(&mut self, _: Resource<Unsupported>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl mqtt::Host for InstanceState {}

impl mqtt::HostConnection for InstanceState {
    fn open(
        &mut self,
        _address: String,
        _username: String,
        _password: String,
        _keep_alive_interval_in_secs: u64,
    ) -> Result<Resource<Unsupported>, mqtt::Error> {
        Err(mqtt::Error::InvalidAddress)
    }

    fn publish(
        &mut self,
        _: Resource<Unsupported>,
        _topic: String,
        _payload: Vec<u8>,
        _qos: mqtt::Qos,
    ) -> Result<(), mqtt::Error> {
        Err(mqtt::Error::Other(format!("mqtt is {WHY}")))
    }

    fn drop(&mut self, _: Resource<Unsupported>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl rdbms_types::Host for InstanceState {}

fn rdbms_error(what: &str) -> rdbms_types::Error {
    rdbms_types::Error::ConnectionFailed(format!("{what} is {WHY}"))
}

impl postgres::Host for InstanceState {}

impl postgres::HostConnection for InstanceState {
    fn open(&mut self, _address: String) -> Result<Resource<Unsupported>, rdbms_types::Error> {
        Err(rdbms_error("postgres"))
    }

    fn query(
        &mut self,
        _: Resource<Unsupported>,
        _statement: String,
        _params: Vec<rdbms_types::ParameterValue>,
    ) -> Result<rdbms_types::RowSet, rdbms_types::Error> {
        Err(rdbms_error("postgres"))
    }

    fn execute(
        &mut self,
        _: Resource<Unsupported>,
        _statement: String,
        _params: Vec<rdbms_types::ParameterValue>,
    ) -> Result<u64, rdbms_types::Error> {
        Err(rdbms_error("postgres"))
    }

    fn drop(&mut self, _: Resource<Unsupported>) -> wasmtime::Result<()> {
        Ok(())
    }
}

impl mysql::Host for InstanceState {}

impl mysql::HostConnection for InstanceState {
    fn open(&mut self, _address: String) -> Result<Resource<Unsupported>, rdbms_types::Error> {
        Err(rdbms_error("mysql"))
    }

    fn query(
        &mut self,
        _: Resource<Unsupported>,
        _statement: String,
        _params: Vec<rdbms_types::ParameterValue>,
    ) -> Result<rdbms_types::RowSet, rdbms_types::Error> {
        Err(rdbms_error("mysql"))
    }

    fn execute(
        &mut self,
        _: Resource<Unsupported>,
        _statement: String,
        _params: Vec<rdbms_types::ParameterValue>,
    ) -> Result<(), rdbms_types::Error> {
        Err(rdbms_error("mysql"))
    }

    fn drop(&mut self, _: Resource<Unsupported>) -> wasmtime::Result<()> {
        Ok(())
    }
}
