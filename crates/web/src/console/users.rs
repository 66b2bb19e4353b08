//! Console users: who may sign in, with which role, in which apps.

use super::access::{CsrfForm, Ctx};
use super::views::{self, Choice, SecretRow, UserRow};
use super::{render, see};
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use heshen_service::console::Role;
use heshen_service::ServiceError;
use serde::Deserialize;

fn role_choices(ctx: &Ctx, current: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|role| Choice {
            value: role.as_str().into(),
            label: ctx.w().role(role.as_str()).into(),
            checked: role.as_str() == current,
        })
        .collect()
}

fn app_list(raw: &str) -> Vec<String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn list(State(web): State<Web>, ctx: Ctx) -> Response {
    users_view(&web, &ctx, StatusCode::OK, String::new()).await
}

async fn users_view(web: &Web, ctx: &Ctx, status: StatusCode, error: String) -> Response {
    let users = match web.accounts.list_users(ctx.operator()).await {
        Ok(users) => users,
        Err(err) => return ctx.fail(err),
    };
    render(
        status,
        &views::Users {
            f: ctx.frame(ctx.w().users_title),
            users: users
                .into_iter()
                .map(|u| UserRow {
                    roles: role_choices(ctx, &u.role),
                    is_me: u.username == ctx.operator().username,
                    role: ctx.w().role(&u.role).into(),
                    apps: u.apps.join(","),
                    enabled: u.enabled,
                    second_factor: u.totp_secret.is_some(),
                    username: u.username,
                })
                .collect(),
            roles: role_choices(ctx, "operator"),
            error,
        },
    )
}

fn show_password(ctx: &Ctx, username: &str, password: String) -> Response {
    let w = ctx.w();
    render(
        StatusCode::OK,
        &views::Secret {
            f: ctx.frame(w.user_password_title),
            note: w.user_password_note.into(),
            rows: vec![
                SecretRow {
                    label: w.user_name.into(),
                    value: username.into(),
                    testid: "user-created-name",
                },
                SecretRow {
                    label: w.login_password.into(),
                    value: password,
                    testid: "user-one-time-password",
                },
            ],
            back: "/console/users".into(),
        },
    )
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    role: String,
    apps: String,
}

pub async fn create(
    State(web): State<Web>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<NewUser>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
    };
    let username = form.username.trim();
    match web
        .accounts
        .create_user(ctx.operator(), username, role, app_list(&form.apps))
        .await
    {
        Ok(password) => show_password(&ctx, username, password),
        Err(ServiceError::Invalid(why)) => {
            users_view(&web, &ctx, StatusCode::BAD_REQUEST, why).await
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize)]
pub struct UserUpdate {
    role: String,
    apps: String,
    enabled: Option<String>,
}

pub async fn update(
    State(web): State<Web>,
    ctx: Ctx,
    Path(name): Path<String>,
    CsrfForm(form): CsrfForm<UserUpdate>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
    };
    match web
        .accounts
        .update_user(
            ctx.operator(),
            &name,
            role,
            app_list(&form.apps),
            form.enabled.is_some(),
        )
        .await
    {
        Ok(()) => see("/console/users"),
        Err(ServiceError::Invalid(why)) => {
            users_view(&web, &ctx, StatusCode::BAD_REQUEST, why).await
        }
        Err(err) => ctx.fail(err),
    }
}

pub async fn reset(
    State(web): State<Web>,
    ctx: Ctx,
    Path(name): Path<String>,
    CsrfForm(_): CsrfForm<super::access::Empty>,
) -> Response {
    match web.accounts.reset_password(ctx.operator(), &name).await {
        Ok(password) => show_password(&ctx, &name, password),
        Err(err) => ctx.fail(err),
    }
}
