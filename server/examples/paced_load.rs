//! A paced load generator for BENCHMARKS.md: sends requests at a fixed rate over keep-alive
//! HTTP/1.1 connections and prints the percentiles of the latency from sending a request to
//! its whole response, and of the lag of each send behind its schedule (tokio's timer ticks
//! by the millisecond, so sends are up to about 1 ms late; a stalled server shows up as a
//! lag that grows instead).
//!
//! ```sh
//! cargo run --release -p origin-policy-server --example paced_load -- \
//!     127.0.0.1:8080 /v1/auth 25000 16 10 'origin: https://a.berbix.com' \
//!     'authorization: Bearer secret_live_x'
//! ```
//!
//! Arguments: ADDRESS PATH RATE CONNECTIONS SECONDS [HEADER]...

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Load {
    address: SocketAddr,
    path: String,
    rate: f64,
    connections: usize,
    duration: Duration,
    headers: Vec<(String, String)>,
}

fn parse() -> Result<Load, BoxError> {
    let mut args = std::env::args().skip(1);
    let mut next = |what: &str| args.next().ok_or_else(|| format!("missing {what}"));
    let address = next("ADDRESS")?.parse()?;
    let path = next("PATH")?;
    let rate = next("RATE")?.parse()?;
    let connections = next("CONNECTIONS")?.parse()?;
    let duration = Duration::from_secs_f64(next("SECONDS")?.parse()?);
    let headers = std::env::args()
        .skip(6)
        .map(|header| {
            let (name, value) = header.split_once(':').ok_or("a HEADER is NAME: VALUE")?;
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect::<Result<_, BoxError>>()?;
    Ok(Load {
        address,
        path,
        rate,
        connections,
        duration,
        headers,
    })
}

/// One connection's share: a request every `interval`, from `first`; latencies and lags in
/// µs, and the statuses seen.
async fn connection(
    load: &Load,
    first: Instant,
    interval: Duration,
) -> Result<(Vec<u32>, Vec<u32>, Vec<u16>), BoxError> {
    let stream = TcpStream::connect(load.address).await?;
    stream.set_nodelay(true)?;
    let (mut sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(driver);
    let end = first + load.duration;
    let (mut latencies, mut lags, mut statuses) = (Vec::new(), Vec::new(), Vec::new());
    let mut scheduled = first;
    while scheduled < end {
        tokio::time::sleep_until(scheduled.into()).await;
        let mut request = Request::get(load.path.as_str()).header("host", "bench");
        for (name, value) in &load.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        sender.ready().await?;
        let sent = Instant::now();
        lags.push(u32::try_from((sent - scheduled).as_micros()).unwrap_or(u32::MAX));
        let response = sender
            .send_request(request.body(Empty::<Bytes>::new())?)
            .await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        let took = sent.elapsed();
        latencies.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        if !statuses.contains(&status) {
            statuses.push(status);
        }
        scheduled += interval;
    }
    Ok((latencies, lags, statuses))
}

fn main() -> Result<(), BoxError> {
    let load = parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let interval = Duration::from_secs_f64(load.connections as f64 / load.rate);
        let start = Instant::now() + Duration::from_millis(100);
        let load = std::sync::Arc::new(load);
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..load.connections {
            // Connections are spread evenly over one interval.
            let first = start + interval.mul_f64(index as f64 / load.connections as f64);
            let load = load.clone();
            tasks.spawn(async move { connection(&load, first, interval).await });
        }
        let results = tasks.join_all().await;
        let elapsed = start.elapsed();
        let (mut latencies, mut lags, mut statuses) = (Vec::new(), Vec::new(), Vec::new());
        for result in results {
            let (l, g, s) = result?;
            latencies.extend(l);
            lags.extend(g);
            statuses.extend(s);
        }
        lags.sort_unstable();
        statuses.sort_unstable();
        statuses.dedup();
        latencies.sort_unstable();
        let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        let lag = |q: f64| lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)];
        println!(
            "{} requests in {:.2} s ({:.0}/s, target {:.0}/s), statuses {:?}: p50 {} µs, p90 {} µs, p99 {} µs, p99.9 {} µs, max {} µs; send lag p50 {} µs, p99 {} µs",
            latencies.len(),
            elapsed.as_secs_f64(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            load.rate,
            statuses,
            at(0.5),
            at(0.9),
            at(0.99),
            at(0.999),
            latencies[latencies.len() - 1],
            lag(0.5),
            lag(0.99),
        );
        Ok(())
    })
}
