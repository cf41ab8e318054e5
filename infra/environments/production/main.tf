# The production environment. Remote state in S3 with DynamoDB locking (infra/bootstrap creates both).

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.1"
    }
  }

  backend "s3" {
    bucket         = "play-chacha-terraform-state"
    key            = "production/terraform.tfstate"
    region         = "eu-west-1"
    encrypt        = true
    dynamodb_table = "play-chacha-terraform-locks"
  }
}

locals {
  environment = "production"
  region      = "eu-west-1"
  # Cost allocation: every resource carries these (activate Project and Environment as cost
  # allocation tags in the billing console once).
  tags = {
    Project     = "play-chacha"
    Environment = local.environment
    ManagedBy   = "terraform"
    CostCenter  = "exchange"
  }
}

provider "aws" {
  region = local.region
  default_tags {
    tags = local.tags
  }
}

# Disaster-recovery region: backup copies and replicated secrets.
provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
  default_tags {
    tags = local.tags
  }
}

# CloudFront's web ACL and certificate live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = local.tags
  }
}

module "stack" {
  source = "../../modules/stack"
  providers = {
    aws           = aws
    aws.replica   = aws.replica
    aws.us_east_1 = aws.us_east_1
  }

  environment        = local.environment
  name               = "play-chacha-production"
  replica_region     = "eu-central-1"
  vpc_cidr           = "10.30.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]

  eks_public_access_cidrs = []

  # The gateway (leader and standby of the partition) on compute-optimised nodes of its own.
  node_groups = {
    general  = { instance_types = ["m7i.xlarge"], min_size = 3, desired_size = 3, max_size = 12 }
    exchange = { instance_types = ["c7i.xlarge"], min_size = 3, desired_size = 3, max_size = 6, labels = { "playchacha.io/pool" = "exchange" } }
  }

  db_instance_class           = "db.r7g.xlarge"
  db_allocated_storage_gb     = 500
  db_max_allocated_storage_gb = 4000
  db_read_replica_count       = 1
  memorydb_node_type          = "db.r7g.xlarge"
  memorydb_replicas_per_shard = 2

  web_aliases            = ["www.playchacha.com", "playchacha.com"]
  web_origin_domain_name = "origin.playchacha.com"
  web_certificate_arn    = "arn:aws:acm:us-east-1:333333333333:certificate/00000000-0000-0000-0000-000000000003"

  monthly_budget_usd  = 40000
  budget_alert_emails = ["platform@playchacha.com", "finance@playchacha.com"]
}

output "stack" {
  value = module.stack
}
