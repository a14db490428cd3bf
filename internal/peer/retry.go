package peer

import "errors"

// Idempotent reports whether a method is idempotent (RFC 9110 §9.2.2): GET,
// HEAD, PUT, DELETE, OPTIONS and TRACE. Only such requests may be sent again
// automatically after a connection closed before their response
// (RFC 9112 §9.3.1), and only they are pipelined (RFC 9112 §9.3.2).
func Idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// Retryable reports whether err means the connection ended before a
// complete response (ErrConnClosed or ErrTruncated): the case in which the
// client cannot know whether the server acted on the request. Timeouts,
// dial and protocol errors are not.
func Retryable(err error) bool {
	return errors.Is(err, ErrConnClosed) || errors.Is(err, ErrTruncated)
}

// shouldRetry applies the client's policy to a failed attempt: the
// connection closed before a complete response, the method is idempotent
// (or RetryAll is set, the wrong policy that replays a POST), and fewer than
// MaxAttempts attempts have failed that way.
func (c *Client) shouldRetry(method string, err error, failures int) bool {
	if failures >= c.maxAttempts() || !Retryable(err) {
		return false
	}
	return Idempotent(method) || c.Config.RetryAll
}

// retryAfter counts a failed attempt of j and reports whether j is to be
// sent again. A request the server is known not to have processed is always
// sent again and does not count against MaxAttempts.
func (c *Client) retryAfter(j *job, err error) bool {
	if err == errUnprocessed {
		return true
	}
	if Retryable(err) {
		j.uncertain++
	}
	return c.shouldRetry(j.method(), err, j.uncertain)
}
