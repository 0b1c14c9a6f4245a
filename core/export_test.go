package core

// The suite checks every operation's declared need of connections: one more than it
// reserved is an error here (see strictLeases).
func init() { strictLeases = true }
