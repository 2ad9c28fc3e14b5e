//! `fermyon:spin/variables@2.0.0`: a component reads only its own variables (rendered from
//! the application's at start-up); anything else is `undefined`, a malformed name is
//! `invalid-name`, as in Spin.

use super::InstanceState;
use crate::bindings::fermyon::spin::variables::{Error, Host};
use crate::variables::LookupError;

impl Host for InstanceState {
    fn get(&mut self, name: String) -> Result<String, Error> {
        self.component.variables.get(&name).map_err(|e| match e {
            LookupError::InvalidName(m) => Error::InvalidName(m),
            LookupError::Undefined(m) => Error::Undefined(m),
        })
    }
}
