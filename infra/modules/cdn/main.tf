# CloudFront in front of the web app (the SvelteKit server behind its load balancer): HTTPS only,
# TLS 1.2+, the CLOUDFRONT web ACL, hashed build assets (/_app/immutable/*) cached for a year,
# everything else passed through uncached, security headers, and access logs to S3.

variable "name" {
  type = string
}

variable "aliases" {
  type = list(string)
}

variable "origin_domain_name" {
  description = "The web load balancer's host name (the web Ingress in the chart)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 for the aliases."
  type        = string
}

variable "web_acl_arn" {
  type = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_origin_request_policy" "all_viewer" {
  name = "Managed-AllViewer"
}

data "aws_cloudfront_response_headers_policy" "security" {
  name = "Managed-SecurityHeadersPolicy"
}

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_144:Access logs are diagnostics, not data of record; a second-region copy is not worth its cost
  #checkov:skip=CKV2_AWS_62:Nothing consumes events from the access-log bucket
  #checkov:skip=CKV_AWS_145:CloudFront standard logging cannot write to a bucket encrypted with SSE-KMS; the bucket uses SSE-S3
  bucket_prefix = "${var.name}-cdn-logs-"
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    # SSE-S3: CloudFront standard logging does not support SSE-KMS buckets.
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# CloudFront standard logs need ACLs on the bucket (the log delivery account writes with them).
resource "aws_s3_bucket_ownership_controls" "logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging delivers with ACLs, so they cannot be disabled on this bucket
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_logging" "logs" {
  bucket        = aws_s3_bucket.logs.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "bucket-access/"
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_305:The origin is the SvelteKit server, which answers / itself; a default root object is for S3 origins
  #checkov:skip=CKV2_AWS_46:The origin is the web load balancer, not an S3 bucket, so there is no origin access control to set
  #checkov:skip=CKV2_AWS_47:The CLOUDFRONT web ACL (modules/waf) includes AWSManagedRulesKnownBadInputsRuleSet, the Log4j rules; the check does not follow the dynamic rule block across modules
  enabled         = true
  is_ipv6_enabled = true
  comment         = "${var.name} web"
  aliases         = var.aliases
  web_acl_id      = var.web_acl_arn
  price_class     = "PriceClass_100"
  http_version    = "http2and3"

  origin {
    origin_id   = "web"
    domain_name = var.origin_domain_name
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  #checkov:skip=CKV_AWS_310:One origin: the web app runs in one region; the disaster-recovery region is brought up by the runbook, not by CDN failover
  #checkov:skip=CKV_AWS_374:Geo restrictions are a licensing decision per market, enforced at registration, not by the CDN

  default_cache_behavior {
    target_origin_id           = "web"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
    compress                   = true
  }

  ordered_cache_behavior {
    path_pattern               = "/_app/immutable/*"
    target_origin_id           = "web"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
    compress                   = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  logging_config {
    bucket          = aws_s3_bucket.logs.bucket_domain_name
    include_cookies = false
    prefix          = "cloudfront/"
  }
}

output "distribution_domain_name" {
  value = aws_cloudfront_distribution.this.domain_name
}

output "distribution_id" {
  value = aws_cloudfront_distribution.this.id
}
