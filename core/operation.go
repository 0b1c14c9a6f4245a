package core

import "context"

// session is the servers one operation works on, and its operation lock.
type session struct {
	primary, replica, proxy *server
	lock                    *opLock
}

// openSession connects to the servers of m named in roles (primary, replica, proxy) and,
// unless dryRun, takes the migration's operation lock: on the primary when the operation
// has one, else on the proxy. On error, nothing stays open.
func openSession(ctx context.Context, m Migration, operation string, dryRun bool, roles ...string) (*session, error) {
	s := &session{}
	dsns := map[string]DSN{rolePrimary: m.Primary, roleReplica: m.Replica, roleProxy: m.Proxy}
	targets := map[string]**server{rolePrimary: &s.primary, roleReplica: &s.replica, roleProxy: &s.proxy}
	for _, role := range roles {
		srv, err := openServer(ctx, role, dsns[role], operation)
		if err != nil {
			s.close()
			return nil, err
		}
		*targets[role] = srv
	}
	if dryRun {
		return s, nil
	}
	role, dsn := rolePrimary, m.Primary
	if s.primary == nil {
		role, dsn = roleProxy, m.Proxy
	}
	lock, err := acquireLock(ctx, role, dsn, m.name(), operation)
	if err != nil {
		s.close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func (s *session) close() {
	s.lock.release()
	for _, srv := range []*server{s.primary, s.replica, s.proxy} {
		srv.close()
	}
}
