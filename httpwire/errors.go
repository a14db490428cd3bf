package httpwire

// ProtocolError is a message that breaks a rule of HTTP/1.x. Rule names the
// section ("RFC 9112 §6.3"), Reason says what was wrong. The stream cannot be
// read further: the connection has to be closed (RFC 9112 §6.3 rule 5).
type ProtocolError struct {
	Rule, Reason string
	// Status is the response code a server answers with: 400, 413, 431,
	// 501 or 505.
	Status int
}

func (e *ProtocolError) Error() string {
	return "httpwire: " + e.Reason + " (" + e.Rule + ")"
}

func protoErr(status int, rule, reason string) *ProtocolError {
	return &ProtocolError{Rule: rule, Reason: reason, Status: status}
}
