//! Activations of classes known only at run time (a host language's): a client given them
//! builds and evaluates their rows, and keeps doing so across refreshes; others do not.

use std::sync::Arc;

use novi_client::{
    Activation, ActivationInput, ActivationSpec, BuildError, Client, Context, FlagInput,
    RuntimeClasses, context,
};

use crate::db_test;

/// `novi_activations.demo.Tenant`: on for the tenant its config names.
#[derive(Debug)]
struct Tenant(String);

impl Activation for Tenant {
    fn evaluate(&self, ctx: &Context) -> bool {
        ctx.get("tenant").and_then(|t| t.as_str()) == Some(self.0.as_str())
    }
}

#[derive(Debug)]
struct Demo;

impl RuntimeClasses for Demo {
    fn build(&self, spec: &ActivationSpec<'_>) -> Option<Result<Arc<dyn Activation>, BuildError>> {
        (spec.class_name == "novi_activations.demo.Tenant")
            .then(|| Ok(Arc::new(Tenant(spec.config.to_owned())) as Arc<dyn Activation>))
    }

    fn names(&self) -> Vec<String> {
        vec!["novi_activations.demo.Tenant".into()]
    }
}

db_test!(a_client_builds_classes_known_at_run_time, |db| {
    let writer = db.client();
    let tenant = writer
        .create_activation(&ActivationInput {
            name: "acme only".into(),
            class_name: "novi_activations.demo.Tenant".into(),
            config: "acme".into(),
        })
        .unwrap_err();
    // Writes check against the link-time registry: this process cannot build the class.
    assert!(
        tenant.to_string().contains("novi_activations.demo.Tenant"),
        "{tenant}"
    );
    db.execute(
        "INSERT INTO activations (id, name, class_name, config) VALUES (50, 'acme only', 'novi_activations.demo.Tenant', 'acme')",
    );
    writer
        .create_flag(&FlagInput {
            name: "acme feature".into(),
            status: true,
            activations: Some(vec![novi_client::ActivationId(50)]),
            force: true,
        })
        .unwrap();

    let client = Client::builder(&db.url)
        .unwrap()
        .runtime_classes(Arc::new(Demo))
        .connect()
        .unwrap();
    assert!(client.is_enabled("acme feature", &context! {"tenant": "acme"}));
    assert!(!client.is_enabled("acme feature", &context! {"tenant": "globex"}));
    // A refresh that builds a new snapshot builds the class again.
    writer
        .create_flag(&FlagInput {
            name: "another".into(),
            status: true,
            ..FlagInput::default()
        })
        .unwrap();
    client.refresh().unwrap();
    assert!(client.snapshot().flag("another").is_some());
    assert!(client.is_enabled("acme feature", &context! {"tenant": "acme"}));
    // A client without them finds the class unknown: the flag is off, with the reason.
    assert!(!writer.is_enabled("acme feature", &context! {"tenant": "acme"}));
    assert!(
        writer
            .snapshot()
            .build_error(novi_client::ActivationId(50))
            .is_some()
    );
});
