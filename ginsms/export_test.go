package ginsms

// WithSplitScripts makes a Service on a single-node client run the Cluster/Ring path (one
// script per slot, pipelined, with give-back), so tests cover it on the test server.
func WithSplitScripts() Option { return func(s *Service) { s.forceSplit = true } }
