"""Local clusters: throwaway services, instances and a real load balancer."""
