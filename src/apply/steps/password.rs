//! Node login passwords: read from the environment when the step runs,
//! handed to the API (which salts them into the request), never kept or
//! shown.

use super::super::context::{Context, StepOutcome};
use super::super::error::PasswordProblem;
use super::super::{CancelLevel, EventSink, StepError};

/// Reads a login password from the environment at apply time. The value is
/// only ever handed to the API, which salts it into the request; errors
/// never contain it.
fn read_password(env: &str) -> Result<String, StepError> {
    let value = match std::env::var(env) {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => {
            return Err(StepError::PasswordMissing {
                env: env.to_owned(),
            });
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(StepError::PasswordInvalid {
                env: env.to_owned(),
                problem: PasswordProblem::NotUtf8,
            });
        }
    };
    if value.is_empty() {
        return Err(StepError::PasswordMissing {
            env: env.to_owned(),
        });
    }
    Ok(value)
}

/// The password of a login that names `env`, read now.
pub(super) fn password_for(env: Option<&str>) -> Result<Option<String>, StepError> {
    env.map(read_password).transpose()
}

/// The password for a pool create or update (checked at apply time). `Err`
/// when it cannot be read, or when a stop was requested and nothing new may
/// start.
pub(super) fn pool_password<A, S: EventSink>(
    context: &Context<'_, A, S>,
    password_env: Option<&str>,
) -> Result<Option<String>, Box<StepOutcome>> {
    let password =
        password_for(password_env).map_err(|error| Box::new(StepOutcome::from(error)))?;
    if context.cancel.level() >= CancelLevel::Graceful {
        return Err(Box::new(StepOutcome::NotStarted));
    }
    Ok(password)
}

/// The step error of a request the API did not send because the password
/// could not be salted into it. The step was marked requested before the
/// call; since nothing went out, the mark is taken back, so that no report
/// of an interruption (and no journal) counts the request as possibly
/// posted.
pub(super) fn not_sent_unsalted<A, S: EventSink>(
    context: &Context<'_, A, S>,
    index: usize,
    password_env: Option<&str>,
) -> StepError {
    context.withdraw_request(index);
    unsalted(password_env)
}

/// The step error of a request the API did not send because the password
/// could not be salted into it ([`LiveError::PasswordNotSalted`]).
fn unsalted(password_env: Option<&str>) -> StepError {
    StepError::PasswordInvalid {
        env: password_env.unwrap_or_default().to_owned(),
        problem: PasswordProblem::NotSalted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_errors_never_hold_the_value() {
        // SAFETY of the test: a variable name no other test uses.
        let missing = read_password("POOLFORM_TEST_APPLY_NO_SUCH_VARIABLE").expect_err("unset");
        assert!(
            missing
                .to_string()
                .contains("POOLFORM_TEST_APPLY_NO_SUCH_VARIABLE")
        );
        assert!(
            !unsalted(Some("NODE_PASSWORD"))
                .to_string()
                .contains("S3cret")
        );
    }
}
