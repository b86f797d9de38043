// docker buildx bake: the frontend image. `docker buildx bake frontend
// --set frontend.tags=REGISTRY/cachefront:TAG --push` publishes it.
variable "GO_IMAGE" {
  default = "golang:1.26-bookworm"
}

variable "VERSION" {
  default = "dev"
}

target "frontend" {
  context    = "."
  dockerfile = "Dockerfile"
  target     = "release"
  args = {
    GO_IMAGE = GO_IMAGE
    VERSION  = VERSION
  }
  tags = ["ghcr.io/cachefront/cachefront:${VERSION}"]
}

group "default" {
  targets = ["frontend"]
}
