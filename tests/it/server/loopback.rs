//! Every code over a real tonic server and client on 127.0.0.1.

use crate::support::common;

use auth_error::{AuthErrorCode, AuthStatusExt};

#[tokio::test]
async fn every_code_round_trips_over_a_real_server_and_client() {
    let server = common::start(true).await;
    let channel = server.channel().await;
    for code in AuthErrorCode::ALL.into_iter().filter(|c| c.is_error()) {
        let status = common::call(channel.clone(), Some(code)).await.unwrap_err();
        assert_eq!(status.code(), code.grpc_code(), "{code}");
        assert_eq!(
            status.message(),
            format!("rejected: {} — ünïcödé ✓", code.as_str_name())
        );
        assert_eq!(status.auth_error_code(), Some(code));
        let err = status.check_auth_error().unwrap().unwrap();
        assert_eq!(err, common::error_for(code));
    }
    // Accepted calls still work, and plain failures carry no auth error.
    common::call(channel.clone(), None).await.unwrap();
    server.shutdown().await;
}
