//! Novi's procedural macros. Use them through `novi-client`, which re-exports them.

use proc_macro::TokenStream;
use quote::quote;
use syn::{
    ItemFn, LitStr, ReturnType, Token,
    parse::{Parse, ParseStream},
    parse_macro_input,
};

/// `#[enabled("Flag name", {"seed": 333, "variant": "A"})]` runs the function only when the
/// flag is on for that context, like Python Novi's `@flag.enabled`; the context is optional
/// and built once.
///
/// The flag is checked with `novi_client::flag::is_enabled`, the default client. A function
/// that returns `()` simply does nothing when the flag is off; a function that returns `T`
/// returns `Option<T>`, `None` when the flag is off (Python returned `None`). `return` and `?`
/// inside the body keep their meaning; `async fn`s work too.
#[proc_macro_attribute]
pub fn enabled(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = parse_macro_input!(args as EnabledArgs);
    let mut function = parse_macro_input!(item as ItemFn);
    let flag = args.flag;
    let context = match args.context {
        Some(tokens) => quote! {
            ::novi_client::__private::context_from_json(::novi_client::__private::serde_json::json!(#tokens))
        },
        None => quote! { ::novi_client::Context::default() },
    };
    let body = &function.block;
    let check = quote! {
        static NOVI_CONTEXT: ::std::sync::OnceLock<::novi_client::Context> = ::std::sync::OnceLock::new();
        let novi_on = ::novi_client::flag::is_enabled(#flag, NOVI_CONTEXT.get_or_init(|| #context));
    };
    let returns_unit = match &function.sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, syn::Type::Tuple(t) if t.elems.is_empty()),
    };
    // The body runs as a closure (or an async block), so that `return` and `?` in it keep
    // their meaning.
    let run_body = if function.sig.asyncness.is_some() {
        quote! { async move #body.await }
    } else {
        quote! { (move || #body)() }
    };
    let new_body = if returns_unit {
        quote! {{
            #check
            if novi_on {
                #run_body
            }
        }}
    } else {
        let ReturnType::Type(arrow, ty) = &function.sig.output else {
            unreachable!("not unit, so there is a type")
        };
        let option: syn::Type = syn::parse_quote!(::std::option::Option<#ty>);
        function.sig.output = ReturnType::Type(*arrow, Box::new(option));
        quote! {{
            #check
            if novi_on {
                ::std::option::Option::Some(#run_body)
            } else {
                ::std::option::Option::None
            }
        }}
    };
    *function.block = syn::parse_quote!(#new_body);
    quote!(#function).into()
}

struct EnabledArgs {
    flag: LitStr,
    context: Option<proc_macro2::TokenStream>,
}

impl Parse for EnabledArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let flag: LitStr = input.parse()?;
        // The context is a JSON object for `serde_json::json!`, which reports errors inside it.
        let context = if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let tokens = input.parse::<proc_macro2::TokenStream>()?;
            let is_object = matches!(
                tokens.clone().into_iter().collect::<Vec<_>>().as_slice(),
                [proc_macro2::TokenTree::Group(g)] if g.delimiter() == proc_macro2::Delimiter::Brace
            );
            if !is_object {
                return Err(syn::Error::new_spanned(
                    tokens,
                    "the context must be a JSON object: `{\"key\": value, ...}`",
                ));
            }
            Some(tokens)
        } else {
            None
        };
        Ok(EnabledArgs { flag, context })
    }
}
