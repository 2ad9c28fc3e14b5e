//! Application and component variables, resolved the way Spin resolves them.
//!
//! Application variables (`[variables]`) get their value from `SPIN_VARIABLE_<NAME>` in the
//! environment, else from their `default`; a `required` variable without a value stops the
//! host at start-up. Components never see application variables directly: each component
//! declares its own variables as templates (`"{{ app_var }}"`, `"prefix-{{ a }}-{{ b }}"`)
//! and `fermyon:spin/variables.get` returns the rendered template or `undefined`.

use std::collections::BTreeMap;

use crate::manifest::VariableDecl;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum VariablesError {
    #[error("invalid variable name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("variable {0:?} is required but has no value: set SPIN_VARIABLE_{upper}", upper = .0.to_uppercase())]
    MissingRequired(String),
    #[error("variable {0:?} must have a default or be marked required")]
    NoDefaultNorRequired(String),
    #[error("variable {0:?} is required and cannot also have a default")]
    RequiredWithDefault(String),
    #[error("component {component:?} variable {variable:?}: {reason}")]
    BadTemplate { component: String, variable: String, reason: String },
}

/// Spin's rule for variable names: lowercase ASCII letters, digits and single underscores,
/// starting with a letter and not ending with an underscore.
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("must not be empty");
    }
    if !name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') {
        return Err("must contain only lowercase letters, numbers, and underscores");
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return Err("must start with a lowercase letter");
    }
    if name.ends_with('_') {
        return Err("must not end with an underscore");
    }
    if name.contains("__") {
        return Err("must not contain multiple consecutive underscores");
    }
    Ok(())
}

/// The application variables with their values, fixed at start-up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppVariables {
    values: BTreeMap<String, String>,
}

impl AppVariables {
    /// Resolves every declared variable; `env` looks up an environment variable by name.
    pub fn resolve(
        decls: &BTreeMap<String, VariableDecl>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariablesError> {
        let mut values = BTreeMap::new();
        for (name, decl) in decls {
            validate_name(name)
                .map_err(|reason| VariablesError::InvalidName { name: name.clone(), reason })?;
            match (decl.required, &decl.default) {
                (true, Some(_)) => return Err(VariablesError::RequiredWithDefault(name.clone())),
                (false, None) => return Err(VariablesError::NoDefaultNorRequired(name.clone())),
                _ => {}
            }
            let from_env = env(&format!("SPIN_VARIABLE_{}", name.to_uppercase()));
            match from_env.or_else(|| decl.default.clone()) {
                Some(value) => {
                    values.insert(name.clone(), value);
                }
                None => return Err(VariablesError::MissingRequired(name.clone())),
            }
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// A parsed component variable value such as `"Bearer {{ token }}"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| format!("unterminated `{{{{` in {text:?}"))?;
            let name = after[..end].trim();
            validate_name(name).map_err(|reason| format!("{{{{ {name} }}}}: {reason}"))?;
            parts.push(Part::Variable(name.to_owned()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    fn referenced(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Renders against values checked at start-up, so every reference resolves.
    fn render(&self, app: &AppVariables) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(text) => text.as_str(),
                Part::Variable(name) => app.get(name).unwrap_or_default(),
            })
            .collect()
    }
}

/// Why `variables.get` failed, mirroring the WIT `error` variant.
#[derive(Debug, Clone, PartialEq)]
pub enum LookupError {
    InvalidName(String),
    Undefined(String),
}

/// One component's variables, already rendered (values cannot change while the host runs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentVariables {
    component: String,
    values: BTreeMap<String, String>,
}

impl ComponentVariables {
    pub fn new(
        component: &str,
        templates: &BTreeMap<String, String>,
        app: &AppVariables,
        declared: &BTreeMap<String, VariableDecl>,
    ) -> Result<Self, VariablesError> {
        let bad = |variable: &str, reason: String| VariablesError::BadTemplate {
            component: component.to_owned(),
            variable: variable.to_owned(),
            reason,
        };
        let mut values = BTreeMap::new();
        for (name, text) in templates {
            validate_name(name).map_err(|reason| bad(name, reason.to_owned()))?;
            let template = Template::parse(text).map_err(|reason| bad(name, reason))?;
            if let Some(unknown) = template.referenced().find(|v| !declared.contains_key(*v)) {
                return Err(bad(
                    name,
                    format!("refers to {unknown:?}, which is not an application variable"),
                ));
            }
            values.insert(name.clone(), template.render(app));
        }
        Ok(Self { component: component.to_owned(), values })
    }

    pub fn get(&self, name: &str) -> Result<String, LookupError> {
        validate_name(name).map_err(|reason| LookupError::InvalidName(reason.to_owned()))?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| LookupError::Undefined(format!("no variable for {:?}.{name:?}", self.component)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(default: Option<&str>, required: bool) -> VariableDecl {
        VariableDecl { default: default.map(str::to_owned), required, secret: false }
    }

    fn decls() -> BTreeMap<String, VariableDecl> {
        BTreeMap::from([
            ("greeting".to_owned(), decl(Some("hello"), false)),
            ("api_key".to_owned(), decl(None, true)),
        ])
    }

    #[test]
    fn environment_overrides_default_and_fills_required() {
        let app = AppVariables::resolve(&decls(), |name| match name {
            "SPIN_VARIABLE_API_KEY" => Some("k1".into()),
            "SPIN_VARIABLE_GREETING" => Some("hi".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(app.get("api_key"), Some("k1"));
        assert_eq!(app.get("greeting"), Some("hi"));

        let app =
            AppVariables::resolve(&decls(), |name| (name == "SPIN_VARIABLE_API_KEY").then(|| "k".to_owned()))
                .unwrap();
        assert_eq!(app.get("greeting"), Some("hello"));
    }

    #[test]
    fn missing_required_variable_is_refused_with_its_env_name() {
        let err = AppVariables::resolve(&decls(), |_| None).unwrap_err();
        assert_eq!(err, VariablesError::MissingRequired("api_key".into()));
        assert!(err.to_string().contains("SPIN_VARIABLE_API_KEY"));
    }

    #[test]
    fn declarations_are_checked_like_spin() {
        let bad = BTreeMap::from([("x".to_owned(), decl(None, false))]);
        assert!(matches!(
            AppVariables::resolve(&bad, |_| None),
            Err(VariablesError::NoDefaultNorRequired(_))
        ));
        let bad = BTreeMap::from([("x".to_owned(), decl(Some("d"), true))]);
        assert!(matches!(AppVariables::resolve(&bad, |_| None), Err(VariablesError::RequiredWithDefault(_))));
        let bad = BTreeMap::from([("Upper".to_owned(), decl(Some("d"), false))]);
        assert!(matches!(AppVariables::resolve(&bad, |_| None), Err(VariablesError::InvalidName { .. })));
    }

    #[test]
    fn component_templates_render_against_app_variables() {
        let app =
            AppVariables::resolve(&decls(), |n| (n == "SPIN_VARIABLE_API_KEY").then(|| "secret".to_owned()))
                .unwrap();
        let templates = BTreeMap::from([
            ("message".to_owned(), "{{ greeting }}, {{api_key}}!".to_owned()),
            ("plain".to_owned(), "just text".to_owned()),
        ]);
        let vars = ComponentVariables::new("c", &templates, &app, &decls()).unwrap();
        assert_eq!(vars.get("message").unwrap(), "hello, secret!");
        assert_eq!(vars.get("plain").unwrap(), "just text");
        assert!(matches!(vars.get("greeting"), Err(LookupError::Undefined(_))));
        assert!(matches!(vars.get("Bad-Name"), Err(LookupError::InvalidName(_))));
    }

    #[test]
    fn templates_must_refer_to_declared_variables() {
        let app = AppVariables::default();
        for text in ["{{ nope }}", "{{ greeting", "{{ Bad }}"] {
            let templates = BTreeMap::from([("v".to_owned(), text.to_owned())]);
            let err = ComponentVariables::new("c", &templates, &app, &decls()).unwrap_err();
            assert!(matches!(err, VariablesError::BadTemplate { .. }), "{text}: {err}");
        }
    }
}
