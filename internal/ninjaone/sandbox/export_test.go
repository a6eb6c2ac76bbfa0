package sandbox

// Crash stops a Server the way SIGKILL would: its journal is closed (and
// unlocked) without compacting, so another Server can open the state.
func (s *Server) Crash() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jr != nil {
		s.jr.close()
	}
	s.closed = true
}
